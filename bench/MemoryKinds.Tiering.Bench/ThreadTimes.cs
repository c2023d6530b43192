using System.Runtime.InteropServices;

/// <summary>The calling thread's user and kernel CPU time (getrusage RUSAGE_THREAD), to show where a configuration's time goes.</summary>
internal static partial class ThreadTimes
{
    private const int RusageThread = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, Ixrss, Idrss, Isrss, MinorFaults, MajorFaults, Swaps, InBlock, OutBlock, MsgSnd, MsgRcv, Signals, VoluntarySwitches, InvoluntarySwitches;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, out Rusage usage);

    /// <summary>(user µs, kernel µs, minor page faults) of the calling thread so far; zeros where getrusage fails.</summary>
    public static (long UserMicroseconds, long KernelMicroseconds, long MinorFaults) Now()
    {
        if (getrusage(RusageThread, out Rusage u) != 0) return (0, 0, 0);
        return (u.UserSeconds * 1_000_000 + u.UserMicroseconds, u.SystemSeconds * 1_000_000 + u.SystemMicroseconds, u.MinorFaults);
    }
}
