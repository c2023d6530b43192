using System.Runtime.InteropServices;
using System.Text;
using MemoryKinds.Native.Abi;

namespace MemoryKinds.Native.Exports;

/// <summary>Statistics, error messages, the version and the background-thread switch.</summary>
internal static unsafe class StatsExports
{
    private const int StatResident = 0, StatActive = 1, StatAllocated = 2, StatMax = 3;
    /// <summary>Every MEMKIND_STAT_PRINT_* bit memkind 1.14 defines (JSON and the eight OMIT_* options).</summary>
    private const int PrintOptionsMask = 0x1FF;

    /// <summary>The figures are always current, so there is nothing to refresh.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_update_cached_stats")]
    public static int UpdateCachedStats() => ErrorCodes.Success;

    /// <summary>One figure of a kind, or the sum over every kind for a NULL kind (memkind's global statistics).</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_get_stat")]
    public static int GetStat(KindStruct* kind, int stat, nuint* value)
    {
        if ((uint)stat >= StatMax) return ErrorCodes.Invalid;
        if (value == null)
        {
            Misuse.Report("memkind_get_stat", "value is NULL; nothing was done");
            return ErrorCodes.Invalid;
        }
        try
        {
            if (ForkGuard.Refuses("memkind_get_stat")) return ErrorCodes.OperationFailed;
            long sum = 0;
            if (kind == null)
            {
                foreach (AbiKind entry in KindTable.Snapshot()) sum += Figure(entry.Kind, stat);
            }
            else
            {
                AbiKind? entry = KindTable.Find(kind);
                if (entry is null)
                {
                    Misuse.Report("memkind_get_stat", $"{Misuse.Pointer(kind)} is not a live kind; nothing was done");
                    return ErrorCodes.Invalid;
                }
                sum = Figure(entry.Kind, stat);
            }
            *value = (nuint)sum;
            return ErrorCodes.Success;
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_get_stat", e);
            return ErrorCodes.OperationFailed;
        }
    }

    private static long Figure(MemoryKind? kind, int stat)
    {
        if (kind is null || kind.IsDisposed) return 0;
        KindStats stats = kind.GetStats();
        return stat switch { StatResident => stats.Resident, StatActive => stats.Active, _ => stats.Allocated };
    }

    /// <summary>
    /// The library's report, handed to <paramref name="writeCallback"/> in one call (standard error when it is NULL, as in
    /// memkind): a general part (OMIT_GENERAL drops it), the totals over all kinds (OMIT_MERGED_ARENA) and each live
    /// kind's MemoryKind.GetStatsReport (OMIT_PER_ARENA); as one JSON object with MEMKIND_STAT_PRINT_JSON_FORMAT. The
    /// other OMIT options name jemalloc sections this report does not have, and are accepted.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_stats_print")]
    public static int StatsPrint(delegate* unmanaged<void*, byte*, void> writeCallback, void* opaque, int options)
    {
        if ((options & ~PrintOptionsMask) != 0) return ErrorCodes.Invalid;
        try
        {
            if (ForkGuard.Refuses("memkind_stats_print")) return ErrorCodes.OperationFailed;
            string text = StatsReport.Build(KindTable.Snapshot(), options);
            if (writeCallback == null)
            {
                Libc.WriteStandardError(text);
                return ErrorCodes.Success;
            }
            byte[] bytes = Encoding.UTF8.GetBytes(text + "\0");
            fixed (byte* start = bytes) writeCallback(opaque, start);
            return ErrorCodes.Success;
        }
        catch (Exception e)
        {
            Failure.OfCall("memkind_stats_print", e);
            return ErrorCodes.OperationFailed;
        }
    }

    /// <summary>Writes the code's message, cut to <paramref name="size"/> bytes and always NUL-terminated; nothing for a NULL buffer.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_error_message")]
    public static void ErrorMessage(int err, byte* msg, nuint size)
    {
        if (msg == null || size == 0) return;
        byte[] text = Encoding.ASCII.GetBytes(ErrorCodes.Message(err));
        int length = (int)Math.Min((nuint)text.Length, size - 1);
        text.AsSpan(0, length).CopyTo(new Span<byte>(msg, length));
        msg[length] = 0;
    }

    /// <summary>memkind 1.14.0: 1 * 1000000 + 14 * 1000 + 0.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_get_version")]
    public static int GetVersion() => 1014000;

    /// <summary>The library's purger always runs in the background (it gives freed storage back within seconds), so both states are accepted.</summary>
    [UnmanagedCallersOnly(EntryPoint = "memkind_set_bg_threads")]
    public static int SetBackgroundThreads(byte state) => ErrorCodes.Success;
}
