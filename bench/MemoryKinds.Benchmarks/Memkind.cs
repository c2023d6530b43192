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

    [LibraryImport(LibraryName)]
    public static partial void* memkind_malloc(nint kind, nuint size);

    [LibraryImport(LibraryName)]
    public static partial void memkind_free(nint kind, void* ptr);

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
