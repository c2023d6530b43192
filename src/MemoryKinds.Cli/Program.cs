// memkinds: the MemoryKinds command-line tool. See Cli.cs for the commands and exit codes.
using MemoryKinds.Cli;

return Cli.Run(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected);
