namespace MemoryKinds.Native.Abi;

/// <summary>
/// Reports a call that misused the API (a pointer of no kind or another kind, a double free, a destroyed or unknown
/// kind): one line on standard error naming the call and the pointer, and the call then changes nothing. With
/// <c>MEMKINDS_ABORT_ON_MISUSE=1</c> in the environment the process aborts after the line instead.
/// </summary>
internal static unsafe class Misuse
{
    /// <summary>Writes the line for <paramref name="call"/>; aborts if asked to.</summary>
    public static void Report(string call, string what)
    {
        try
        {
            Libc.WriteStandardError($"memkind: {call}: {what.ReplaceLineEndings(" ")}\n");
        }
        catch (OutOfMemoryException)
        {
            // The line is lost; the call still changes nothing, and no exception may reach C.
        }
        if (AbortRequested()) Libc.Abort();
    }

    /// <summary>The text for a pointer, as C's <c>%p</c> prints it.</summary>
    public static string Pointer(void* p) => p == null ? "(nil)" : $"0x{(nuint)p:x}";

    /// <summary>Read at each report (a C program may set it late), through libc, which sees every setenv.</summary>
    private static bool AbortRequested()
    {
        fixed (byte* name = "MEMKINDS_ABORT_ON_MISUSE\0"u8)
        {
            byte* value = Libc.GetEnv(name);
            return value != null && value[0] == (byte)'1' && value[1] == 0;
        }
    }
}
