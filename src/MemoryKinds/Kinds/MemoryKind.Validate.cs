namespace MemoryKinds;

public abstract partial class MemoryKind
{
    /// <summary>
    /// Walks the whole heap and checks its consistency (like libvmem's <c>vmem_check</c>): span and page metadata, block
    /// bitmaps, free lists, remote-free stacks, storage accounting. Other threads' calls wait while it runs.
    /// </summary>
    /// <exception cref="InvalidOperationException">The heap is inconsistent; the message lists every problem found.</exception>
    /// <exception cref="ObjectDisposedException">The kind is disposed.</exception>
    public void Validate()
    {
        List<string> problems = _heap.Validate();
        if (problems.Count > 0)
            throw new InvalidOperationException($"Memory kind '{Name}' is inconsistent ({problems.Count} problems):{Environment.NewLine}{string.Join(Environment.NewLine, problems.Take(50))}");
    }

    /// <summary>The engine behind this kind, for tests and diagnostics that look at its internals.</summary>
    internal Engine.KindHeap Heap => _heap;
}
