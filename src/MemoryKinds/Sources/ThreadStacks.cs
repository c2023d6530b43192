using MemoryKinds.Interop;

namespace MemoryKinds.Sources;

/// <summary>
/// The calling thread's stack range, and a word zeroed when the thread exits: what the engine needs to find a thread's
/// heaps from the address of a local variable, instead of from a thread-static (a call into the C library per lookup).
/// </summary>
/// <remarks>
/// The exit hook is a pthread key whose destructor is <c>pthread_mutexattr_init</c>, which zeroes the first 4 bytes of
/// its argument (glibc, musl; checked on a probe at start-up). C runs key destructors in the exiting thread, so the word
/// reads 0 before any other thread can start on that stack. Unavailable when the probe fails, when <c>pthread_getattr_np</c> does not work,
/// or when the environment variable <c>MEMKINDS_THREAD_LOOKUP</c> is <c>tls</c> (for hosts that switch stacks
/// between threads themselves); the engine then uses thread-statics only.
/// </remarks>
internal static unsafe class ThreadStacks
{
    private static readonly uint s_exitKey;

    /// <summary>Whether <see cref="ZeroAtThreadExit"/> and <see cref="TryGetCurrent"/> can be relied on.</summary>
    public static bool IsAvailable { get; }

    static ThreadStacks()
    {
        if (Environment.GetEnvironmentVariable("MEMKINDS_THREAD_LOOKUP") == "tls") return;
        try
        {
            void* zeroFirstWord = Os.FindZeroingInitializer();
            IsAvailable = zeroFirstWord != null && TryGetCurrent(out _, out _, out _) && Os.CreateThreadExitKey(zeroFirstWord, out s_exitKey) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            // A C library without pthread_getattr_np or gettid: thread-statics only.
        }
    }

    /// <summary>The calling thread's stack, [<paramref name="low"/>, <paramref name="top"/>); false if the C library cannot say.</summary>
    /// <remarks>For the initial thread the range may include unmapped space below the stack; see <see cref="Os.GetThreadStack"/>.</remarks>
    public static bool TryGetCurrent(out nuint low, out nuint top, out bool isInitialThread)
        => Os.GetThreadStack(out low, out top, out isInitialThread) == 0 && top > low;

    /// <summary>
    /// Has the C library zero <paramref name="word"/> when the calling thread exits (replacing any earlier word). Only the
    /// low 4 bytes may be cleared, so the word must hold a value below 2^32.
    /// </summary>
    public static void ZeroAtThreadExit(nuint* word) => Os.SetThreadExitValue(s_exitKey, word);

    /// <summary>The kernel's ids of the calling thread and its process (only when <see cref="IsAvailable"/>).</summary>
    public static (int ProcessId, int ThreadId) CurrentIds() => (Os.CurrentProcessId(), Os.CurrentThreadId());

    /// <summary>
    /// Whether the thread <paramref name="threadId"/> of process <paramref name="processId"/> has ended, not merely run its
    /// exit hooks: no code of it runs any more. Errs on the side of "not ended": a reused id reads as a live thread, and
    /// ids recorded by another process (before a fork) or a C library without <c>tgkill</c> read as not ended.
    /// </summary>
    public static bool HasEnded(int processId, int threadId) => Os.ThreadEnded(processId, threadId);
}
