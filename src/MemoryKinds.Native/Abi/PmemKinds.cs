namespace MemoryKinds.Native.Abi;

/// <summary>Creating a pmem kind as memkind_create_pmem does: the size rules, the errno, the name and the priv fields.</summary>
internal static unsafe class PmemKinds
{
    /// <summary>MEMKIND_PMEM_MIN_SIZE.</summary>
    public const nuint MinSize = 16u << 20;
    /// <summary>memkind's MEMKIND_PMEM_CHUNK_SIZE: a size limit rounds up to a multiple of it.</summary>
    public const nuint ChunkSize = 2u << 20;

    /// <summary>Creates the kind; 0, or memkind's error code with errno set as memkind sets it.</summary>
    public static int Create(string call, byte* dir, nuint maxSize, int policy, KindStruct** result)
    {
        if (ForkGuard.Refuses(call)) return ErrorCodes.Runtime;
        if (result == null || dir == null)
        {
            Misuse.Report(call, $"{(dir == null ? "the directory" : "the kind pointer")} is NULL; no kind was created");
            Libc.SetErrno(ErrorCodes.EINVAL);
            return ErrorCodes.Invalid;
        }
        if (maxSize != 0 && maxSize < MinSize) return ErrorCodes.Invalid;
        if ((ulong)maxSize > long.MaxValue - (ulong)ChunkSize || (uint)policy > (uint)MemoryUsagePolicy.Conservative)
        {
            Libc.SetErrno(ErrorCodes.EINVAL);
            return ErrorCodes.Invalid;
        }
        nuint limit = (maxSize + ChunkSize - 1) & ~(ChunkSize - 1);
        string path = Libc.Text(dir)!;
        if (path.Length == 0)
        {
            Libc.SetErrno(2); // ENOENT, what open("") gives
            return ErrorCodes.Invalid;
        }
        int errno = FileMemorySource.TryCreate(path, (long)limit, out FileMemorySource? file);
        if (errno != 0)
        {
            Libc.SetErrno(errno);
            return ErrorCodes.Invalid;
        }
        try
        {
            *result = KindTable.Add($"pmem{file!.FileDescriptor:x8}", priv => Build(file, (PmemPriv*)priv, dir, limit, (MemoryUsagePolicy)policy));
            return ErrorCodes.Success;
        }
        catch (Exception e)
        {
            file!.Dispose();
            if (e is not OutOfMemoryException) throw;
            Libc.SetErrno(ErrorCodes.ENOMEM);
            return ErrorCodes.ArenasCreate;
        }
    }

    private static (MemoryKind, PmemFileSource?) Build(FileMemorySource file, PmemPriv* priv, byte* dir, nuint limit, MemoryUsagePolicy policy)
    {
        priv->Fd = file.FileDescriptor;
        priv->MaxSize = limit;
        priv->Dir = Libc.Duplicate(dir);
        if (priv->Dir == null) throw new OutOfMemoryException();
        var source = new PmemFileSource(file, priv);
        try
        {
            return (MemoryKind.Create($"pmem{priv->Fd:x8}", source, policy), source);
        }
        catch
        {
            Libc.Free(priv->Dir);
            throw;
        }
    }
}
