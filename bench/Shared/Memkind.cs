using System.Runtime.InteropServices;

namespace MemoryKinds.Benchmarks;

/// <summary>
/// memkind (libmemkind.so.0, Debian package libmemkind0) through LibraryImport. <see cref="IsAvailable"/> says whether the
/// library loads; when it does not, <see cref="MissingMessage"/> says why and how to install it.
/// </summary>
internal static unsafe partial class Memkind
{
    public const string LibraryName = "libmemkind.so.0";
    public const string InstallCommand = "apt-get update && apt-get install -y libmemkind0";

    private static readonly Lazy<(nint Handle, string? Error)> s_library = new(Load);

    public static bool IsAvailable => s_library.Value.Error is null;

    public static string MissingMessage =>
        $"memkind contender MISSING: {LibraryName} could not be loaded ({s_library.Value.Error}). Install it with: {InstallCommand}";

    /// <summary>Throws <see cref="InvalidOperationException"/> with <see cref="MissingMessage"/> when the library is missing.</summary>
    public static void EnsureAvailable()
    {
        if (!IsAvailable) throw new InvalidOperationException(MissingMessage);
    }

    /// <summary>The value of the exported global <c>memkind_t MEMKIND_DEFAULT</c>.</summary>
    public static nint Default
    {
        get
        {
            EnsureAvailable();
            nint address = NativeLibrary.GetExport(s_library.Value.Handle, "MEMKIND_DEFAULT");
            nint kind = *(nint*)address;
            if (kind == 0) throw new InvalidOperationException("MEMKIND_DEFAULT is NULL.");
            return kind;
        }
    }

    /// <summary>memkind_create_pmem; throws with memkind's error message on failure.</summary>
    public static nint CreatePmem(byte* directoryUtf8, nuint maxSize)
    {
        nint kind;
        int err = memkind_create_pmem(directoryUtf8, maxSize, &kind);
        if (err != 0) throw new InvalidOperationException($"memkind_create_pmem failed: {ErrorMessage(err)}");
        return kind;
    }

    /// <summary>
    /// memkind_create_pmem_with_config: a pmem kind of at most <paramref name="maxSize"/> bytes with a memory usage policy
    /// (0 = MEMKIND_MEM_USAGE_POLICY_DEFAULT, 1 = MEMKIND_MEM_USAGE_POLICY_CONSERVATIVE); throws on failure.
    /// </summary>
    public static nint CreatePmem(byte* directoryUtf8, nuint maxSize, int usagePolicy)
    {
        nint config = memkind_config_new();
        if (config == 0) throw new InvalidOperationException("memkind_config_new returned NULL.");
        try
        {
            memkind_config_set_path(config, directoryUtf8);
            memkind_config_set_size(config, maxSize);
            memkind_config_set_memory_usage_policy(config, usagePolicy);
            nint kind;
            int err = memkind_create_pmem_with_config(config, &kind);
            if (err != 0) throw new InvalidOperationException($"memkind_create_pmem_with_config failed: {ErrorMessage(err)}");
            return kind;
        }
        finally
        {
            memkind_config_delete(config);
        }
    }

    /// <summary>memkind_destroy_kind; throws with memkind's error message on failure.</summary>
    public static void Destroy(nint kind)
    {
        int err = memkind_destroy_kind(kind);
        if (err != 0) throw new InvalidOperationException($"memkind_destroy_kind failed: {ErrorMessage(err)}");
    }

    public static string ErrorMessage(int err)
    {
        byte* buffer = stackalloc byte[256];
        memkind_error_message(err, buffer, 256);
        return $"{Marshal.PtrToStringUTF8((nint)buffer)} ({err})";
    }

    [LibraryImport(LibraryName)]
    public static partial int memkind_create_pmem(byte* dir, nuint maxSize, nint* kind);

    [LibraryImport(LibraryName)] private static partial nint memkind_config_new();
    [LibraryImport(LibraryName)] private static partial void memkind_config_delete(nint config);
    [LibraryImport(LibraryName)] private static partial void memkind_config_set_path(nint config, byte* path);
    [LibraryImport(LibraryName)] private static partial void memkind_config_set_size(nint config, nuint size);
    [LibraryImport(LibraryName)] private static partial void memkind_config_set_memory_usage_policy(nint config, int policy);
    [LibraryImport(LibraryName)] private static partial int memkind_create_pmem_with_config(nint config, nint* kind);

    [LibraryImport(LibraryName)]
    public static partial void* memkind_malloc(nint kind, nuint size);

    [LibraryImport(LibraryName)]
    public static partial void memkind_free(nint kind, void* ptr);

    [LibraryImport(LibraryName)]
    public static partial void* memkind_calloc(nint kind, nuint num, nuint size);

    [LibraryImport(LibraryName)]
    public static partial void* memkind_realloc(nint kind, void* ptr, nuint size);

    [LibraryImport(LibraryName)]
    public static partial int memkind_posix_memalign(nint kind, void** memptr, nuint alignment, nuint size);

    [LibraryImport(LibraryName)]
    public static partial int memkind_destroy_kind(nint kind);

    [LibraryImport(LibraryName)]
    private static partial void memkind_error_message(int err, byte* msg, nuint size);

    private static (nint, string?) Load()
    {
        try
        {
            return (NativeLibrary.Load(LibraryName), null);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            return (0, e.Message);
        }
    }
}
