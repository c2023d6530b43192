namespace MemoryKinds.Native.Abi;

/// <summary>What an export does with an exception instead of letting it cross into C: a misuse line, and errno.</summary>
internal static unsafe class Failure
{
    /// <summary>Reports a call on block <paramref name="ptr"/> that the library refused, saying why in memkind's terms.</summary>
    public static void OfBlock(string call, KindStruct* kind, void* ptr, Exception error)
    {
        Libc.SetErrno(ErrorCodes.EINVAL);
        MemoryKind? owner = MemoryKind.Detect(ptr);
        AbiKind? named = KindTable.Find(kind);
        string what = error switch
        {
            ObjectDisposedException => $"the kind of {Misuse.Pointer(ptr)} was destroyed during the call",
            ArgumentException when owner is null => $"{Misuse.Pointer(ptr)} is not a block of any kind",
            ArgumentException when named?.Kind is { } k && !ReferenceEquals(owner, k) => $"{Misuse.Pointer(ptr)} is a block of {NameOf(owner)}, not of {named.Name}",
            ArgumentException => $"{Misuse.Pointer(ptr)} is not a live block of {NameOf(owner)} (freed already, or inside a block)",
            _ => $"{Misuse.Pointer(ptr)}: {error.GetType().Name}: {error.Message}",
        };
        Misuse.Report(call, what + "; nothing was done");
    }

    /// <summary>
    /// Reports an exception of a call that is not about one block: a kind destroyed by another thread during the call
    /// (errno EINVAL), or a failure inside the library (errno ENOMEM, what an allocation call reports).
    /// </summary>
    public static void OfCall(string call, Exception error)
    {
        bool destroyed = error is ObjectDisposedException;
        Libc.SetErrno(destroyed ? ErrorCodes.EINVAL : ErrorCodes.ENOMEM);
        Misuse.Report(call, destroyed ? "the kind was destroyed during the call; nothing was done" : $"{error.GetType().Name}: {error.Message}");
    }

    private static string NameOf(MemoryKind? kind) => kind is null ? "no kind" : KindTable.Of(kind)?.Name ?? kind.Name;
}
