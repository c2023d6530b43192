namespace MemoryKinds.Cli;

/// <summary>The tool's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The command ran and failed (a stress verification error, a failed benchmark run, no source checkout).</summary>
    public const int Failure = 1;

    /// <summary>Bad arguments: unknown command or option, missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>The directory does not exist, is not a directory, or no file can be created in it.</summary>
    public const int BadDirectory = 3;
}
