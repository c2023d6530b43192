namespace MemoryKinds.Native.Abi;

/// <summary>memkind 1.14's status codes, constants and errno values, as <c>memkind.h</c> and Linux define them.</summary>
internal static class ErrorCodes
{
    public const int Success = 0, Unavailable = -1, Mbind = -2, Mmap = -3, Malloc = -6, Environ = -12, Invalid = -13;
    public const int TooMany = -15, BadOps = -17, Hugetlb = -18, MemtypeNotAvailable = -20, OperationFailed = -21;
    public const int ArenasCreate = -22, Runtime = -255;

    public const int ENOMEM = 12, EINVAL = 22, EOPNOTSUPP = 95;

    /// <summary>The text <c>memkind_error_message</c> gives for a code; memkind's tests check the "&lt;memkind&gt;" prefix.</summary>
    public static string Message(int code) => code switch
    {
        Unavailable => "<memkind> The memory kind is not available on this machine",
        Mbind => "<memkind> mbind() failed",
        Mmap => "<memkind> mmap() failed (for memkind_check_dax_path: the directory is not on a DAX file system)",
        Malloc => "<memkind> Allocating library metadata failed",
        Environ => "<memkind> A MEMKIND_* environment variable could not be parsed",
        Invalid => "<memkind> Invalid argument",
        TooMany => "<memkind> More than MEMKIND_MAX_KIND (512) kinds",
        BadOps => "<memkind> Invalid memkind_ops structure",
        Hugetlb => "<memkind> Huge pages are not available",
        MemtypeNotAvailable => "<memkind> The requested memory type is not available",
        OperationFailed => "<memkind> The operation failed",
        ArenasCreate => "<memkind> Creating the kind's heap failed",
        Runtime => "<memkind> Unspecified run-time error",
        EINVAL => "<memkind> The alignment must be a power of two and a multiple of sizeof(void *)",
        ENOMEM => "<memkind> The kind has no room for the allocation",
        _ => $"<memkind> Undefined error number: {code}",
    };
}
