namespace MemoryKinds.Native.Abi;

/// <summary>
/// Refuses calls in a <c>fork()</c>ed child. The .NET runtime does not support managed code there (only the forking
/// thread exists, and locks held by the runtime's or the program's other threads stay held), and the heaps' file
/// mappings are <c>MADV_DONTFORK</c>, so the child has none of them. A C handler (native/static_kinds.c) marks the
/// child; the entry points then report the call and fail without touching a heap. Calls that are already inside the
/// runtime when the process forks are the parent's; the parent is unaffected.
/// </summary>
internal static unsafe class ForkGuard
{
    private static readonly int* s_flag = Libc.ForkedChildFlag();

    /// <summary>True in a child of fork() (set in the child before fork returns there).</summary>
    public static bool InChild => *s_flag != 0;

    /// <summary>True, after one line on standard error, when the caller is a forked child that must not go on.</summary>
    public static bool Refuses(string call)
    {
        if (!InChild) return false;
        Misuse.Report(call, "called in a fork()ed child, where the library cannot run (exec or _exit there); nothing was done");
        Libc.SetErrno(ErrorCodes.ENOMEM);
        return true;
    }
}
