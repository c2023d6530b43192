using System.Runtime.ExceptionServices;

namespace MemoryKinds.Reliability;

/// <summary>Runs code on a thread of its own, to its end (shared with the fault host, which links this file).</summary>
internal static class ThreadRunner
{
    /// <summary>Runs <paramref name="body"/> on a new thread and waits for it; rethrows what it threw, as it was thrown.</summary>
    /// <param name="body">The code to run.</param>
    /// <param name="maxStackSize">The thread's stack size; 0 for the default.</param>
    public static void Run(Action body, int maxStackSize = 0)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                error = e;
            }
        }, maxStackSize);
        thread.Start();
        thread.Join();
        if (error is not null) ExceptionDispatchInfo.Capture(error).Throw();
    }
}
