using System.Runtime.InteropServices;
using MemoryKinds.Native.Abi;

namespace MemoryKinds.Native.Exports;

/// <summary>
/// memkind's memtier builder calls (<c>memkind_memtier.h</c>): a builder collects tiers (kinds of this ABI with their
/// ratios) and DYNAMIC_THRESHOLD parameters, and constructs a memtier memory, a <see cref="TieredMemory"/>. Failures
/// return -1 or NULL as memkind's do; a bad handle, a NULL or unknown kind, a ratio of 0 or an unknown parameter name
/// also writes one line (<see cref="Misuse"/>) and sets errno to EINVAL. No exception leaves a call.
/// </summary>
internal static unsafe class MemtierBuilderExports
{
    [UnmanagedCallersOnly(EntryPoint = "memtier_builder_new")]
    public static void* BuilderNew(int policy)
    {
        const string call = "memtier_builder_new";
        try
        {
            if (ForkGuard.Refuses(call)) return null;
            if (policy is not ((int)TierPolicy.StaticRatio or (int)TierPolicy.DynamicThreshold))
            {
                Misuse.Report(call, $"{policy} is not a memtier policy (MEMTIER_POLICY_STATIC_RATIO 0 or MEMTIER_POLICY_DYNAMIC_THRESHOLD 1); no builder was made");
                Libc.SetErrno(ErrorCodes.EINVAL);
                return null;
            }
            return MemtierBuilder.Handles.Add(new MemtierBuilder((TierPolicy)policy));
        }
        catch (Exception e)
        {
            Failure.OfCall(call, e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_builder_delete")]
    public static void BuilderDelete(void* builder)
    {
        if (builder == null) return;
        try
        {
            if (ForkGuard.Refuses("memtier_builder_delete")) return;
            if (MemtierBuilder.Handles.Remove(builder) is null) ReportBadBuilder("memtier_builder_delete", builder);
        }
        catch (Exception e)
        {
            Failure.OfCall("memtier_builder_delete", e);
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_builder_add_tier")]
    public static int AddTier(void* builder, KindStruct* kind, uint ratio)
    {
        const string call = "memtier_builder_add_tier";
        try
        {
            MemtierBuilder? b = BuilderOrReport(call, builder);
            if (b is null) return -1;
            AbiKind? entry = KindTable.Find(kind);
            string? problem = kind == null ? "the kind is NULL"
                : entry is null ? $"{Misuse.Pointer(kind)} is not a live kind (never created, or destroyed)"
                : entry.Availability != ErrorCodes.Success ? $"{entry.Name} is not available here (memkind_check_available gives {entry.Availability})"
                : ratio == 0 ? "the ratio is 0 (a tier's share of the bytes is its ratio over the sum of the ratios)"
                : null;
            MemoryKind? k = problem is null ? KindTable.Resolve(kind, call) : null;
            if (problem is null && k is null) return -1; // reported by Resolve
            problem ??= b.AddTier(entry!, k!, ratio);
            if (problem is null) return 0;
            Misuse.Report(call, problem + "; no tier was added");
            Libc.SetErrno(ErrorCodes.EINVAL);
            return -1;
        }
        catch (Exception e)
        {
            Failure.OfCall(call, e);
            return -1;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_ctl_set")]
    public static int CtlSet(void* builder, byte* name, void* val)
    {
        const string call = "memtier_ctl_set";
        try
        {
            MemtierBuilder? b = BuilderOrReport(call, builder);
            if (b is null) return -1;
            string? text = Libc.Text(name);
            string? problem = text is null ? "the name is NULL"
                : val == null ? "val is NULL"
                : !MemtierCtlName.TryParse(text, out MemtierParameter parameter, out int index) ? $"unknown name '{text}' (policy.dynamic_threshold.thresholds[ID].val, .min or .max, policy.dynamic_threshold.check_cnt, .trigger or .degree)"
                : b.Set(parameter, index, val);
            if (problem is null) return 0;
            Misuse.Report(call, problem + "; nothing was set");
            Libc.SetErrno(ErrorCodes.EINVAL);
            return -1;
        }
        catch (Exception e)
        {
            Failure.OfCall(call, e);
            return -1;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_builder_construct_memtier_memory")]
    public static void* Construct(void* builder)
    {
        const string call = "memtier_builder_construct_memtier_memory";
        try
        {
            MemtierBuilder? b = BuilderOrReport(call, builder);
            if (b is null) return null;
            MemtierMemory memory;
            try
            {
                memory = b.Construct();
            }
            catch (ArgumentException e)
            {
                Misuse.Report(call, WithoutParameterName(e).TrimEnd('.') + "; no memory was constructed");
                Libc.SetErrno(ErrorCodes.EINVAL);
                return null;
            }
            return MemtierMemory.Handles.Add(memory);
        }
        catch (Exception e)
        {
            Failure.OfCall(call, e);
            return null;
        }
    }

    [UnmanagedCallersOnly(EntryPoint = "memtier_delete_memtier_memory")]
    public static void DeleteMemory(void* memory)
    {
        if (memory == null) return;
        try
        {
            // The TieredMemory owns no kind (Create leaves them to the caller), so there is nothing to dispose; its
            // blocks stay valid and memtier_free still counts them out (KindTierUsage.Retire).
            if (ForkGuard.Refuses("memtier_delete_memtier_memory")) return;
            MemtierMemory? m = MemtierMemory.Handles.Remove(memory);
            if (m is null)
            {
                Misuse.Report("memtier_delete_memtier_memory", $"{Misuse.Pointer(memory)} is not a live memtier memory (never constructed, or deleted already); nothing was done");
                return;
            }
            KindTierUsage.Retire(m);
        }
        catch (Exception e)
        {
            Failure.OfCall("memtier_delete_memtier_memory", e);
        }
    }

    /// <summary>The exception's message without the parameter name .NET appends (in whatever form resources give it).</summary>
    private static string WithoutParameterName(ArgumentException e)
    {
        if (e.ParamName is null) return e.Message;
        string suffix = new ArgumentException("-", e.ParamName).Message[1..];
        return e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
    }

    private static MemtierBuilder? BuilderOrReport(string call, void* builder)
    {
        if (ForkGuard.Refuses(call)) return null;
        MemtierBuilder? found = MemtierBuilder.Handles.Find(builder);
        if (found is null) ReportBadBuilder(call, builder);
        return found;
    }

    private static void ReportBadBuilder(string call, void* builder)
    {
        Misuse.Report(call, builder == null
            ? "builder is NULL; nothing was done"
            : $"{Misuse.Pointer(builder)} is not a live memtier builder (never made, or deleted); nothing was done");
        Libc.SetErrno(ErrorCodes.EINVAL);
    }
}
