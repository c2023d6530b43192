using System.Globalization;
using Spectre.Console;

namespace MemoryKinds.Cli;

/// <summary>The check-dax and info commands.</summary>
internal static class Commands
{
    public static int CheckDax(IAnsiConsole console, string directory)
    {
        DirectoryReport r = DirectoryProbe.Probe(directory);
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(r.Directory)}[/]");
        table.AddColumn("Check").AddColumn("Result");
        table.AddRow("DAX", r.IsDax ? "[green]yes[/] (MAP_SYNC mapping accepted)" : "no (MAP_SYNC mapping refused: not a DAX mount)");
        table.AddRow("File system", Markup.Escape($"{r.FileSystem} (statfs f_type 0x{r.FileSystemMagic:X})"));
        if (r.MountPoint is not null) table.AddRow("Mount", Markup.Escape($"{r.MountPoint} from {r.MountSource}"));
        if (r.MountOptions is not null) table.AddRow("Mount options", Markup.Escape(r.MountOptions));
        table.AddRow("O_TMPFILE", r.TmpFile ? "yes" : "no (a named file, unlinked at once, is used instead)");
        table.AddRow("fallocate", Verdict(r.Fallocate));
        table.AddRow("Hole punching", Verdict(r.HolePunch));
        table.AddRow("Size", Sizes.Format(r.TotalBytes));
        table.AddRow("Free", $"{Sizes.Format(r.AvailableBytes)} available ({Sizes.Format(r.FreeBytes)} free)");
        console.Write(table);
        string verdict = (r.Fallocate.Supported, r.HolePunch.Supported) switch
        {
            (true, true) => "Usable for pmem kinds: space is reserved before use and given back when freed.",
            (true, false) => "Usable for pmem kinds, but freed space is not given back to the file system until the kind is disposed.",
            _ => "Not usable for pmem kinds: without fallocate a kind cannot reserve space, so every allocation fails.",
        };
        console.WriteLine(verdict);
        // Plain lines for scripts.
        console.WriteLine($"dax={(r.IsDax ? "yes" : "no")} fs={r.FileSystem.Split(' ')[0]} fallocate={(r.Fallocate.Supported ? "yes" : "no")} punch={(r.HolePunch.Supported ? "yes" : "no")} available={r.AvailableBytes}");
        return ExitCodes.Ok;
    }

    private static string Verdict(ProbeResult p) => (p.Supported ? "[green]yes[/]" : "[red]no[/]") + Markup.Escape($" ({p.Detail})");

    public static int Info(IAnsiConsole console, string directory, long maxSize)
    {
        string full = DirectoryProbe.Resolve(directory);
        if (maxSize != 0 && maxSize < PmemKind.MinSize)
            throw new UsageException($"--max-size must be 0 (unlimited) or at least {Sizes.Format(PmemKind.MinSize)} (got {Sizes.Format(maxSize)}).");
        PmemKind kind;
        try
        {
            kind = PmemKind.Create(full, maxSize);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or DirectoryNotFoundException or IOException)
        {
            throw new BadDirectoryException($"A pmem kind cannot be created in '{full}': {e.Message}", e);
        }
        using (kind)
        {
            int errno = Native.GetStatFs(full, out Native.StatFs fs);
            string fsName = errno == 0 ? DirectoryProbe.FileSystemName(fs.Type) : "unknown";
            long unit = fs.FragmentSize != 0 ? fs.FragmentSize : fs.BlockSize;
            var table = new Table().Border(TableBorder.Rounded).Title($"[bold]A pmem kind in {Markup.Escape(full)}[/]");
            table.AddColumn("Property").AddColumn("Value");
            table.AddRow("Kind", Markup.Escape(kind.ToString()));
            table.AddRow("File system", Markup.Escape(fsName));
            table.AddRow("DAX", kind.IsDaxBacked ? "yes" : "no");
            table.AddRow("Size limit", maxSize == 0 ? "unlimited (0): the file system's free space" : Markup.Escape($"{Sizes.Format(maxSize)} requested, {Sizes.Format(kind.MaxSize)} after rounding ({kind.MaxSize:N0} bytes)"));
            table.AddRow("Capacity", Markup.Escape($"{Sizes.Format(kind.Capacity)} ({(maxSize == 0 ? "file system size" : "the limit")})"));
            if (errno == 0) table.AddRow("Available now", Sizes.Format(fs.BlocksAvailable * unit));
            table.AddRow("MinSize", Markup.Escape($"{Sizes.Format(PmemKind.MinSize)} (smallest non-zero limit)"));
            table.AddRow("ChunkSize", Markup.Escape($"{Sizes.Format(PmemKind.ChunkSize)} (limits round up to this)"));
            table.AddRow("Page size", Sizes.Format(Environment.SystemPageSize));
            table.AddRow("Region alignment", Sizes.Format((long)MemorySource.RegionAlignment));
            table.AddRow("Growth unit", Markup.Escape($"{Sizes.Format((long)MemorySource.GrowthUnit)} mapped at a time; storage is reserved with fallocate per {Sizes.Format(Environment.SystemPageSize)} page"));
            table.AddRow("Small blocks", "up to 512 KiB in size classes (16-byte steps to 128 B, then 8 per doubling)");
            table.AddRow("Large blocks", "over 512 KiB: spans of 64 KiB slices");
            table.AddRow("Policies", "Default: per-thread heaps, freed space given back within seconds\nConservative: one shared heap, emptied pages hole-punched before Free returns");
            table.AddRow("Default policy", kind.UsagePolicy.ToString());
            table.AddRow("Hardened", Markup.Escape(kind.IsHardened ? "on (MEMKINDS_HARDENED=1)" : "off (PmemConfig.Hardened or MEMKINDS_HARDENED=1 turns it on)"));
            table.AddRow("Can give space back", kind.Source.CanDecommit ? "yes" : "no");
            console.Write(table);
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"min_size={PmemKind.MinSize} chunk_size={PmemKind.ChunkSize} page_size={Environment.SystemPageSize} max_size={kind.MaxSize} capacity={kind.Capacity} dax={(kind.IsDaxBacked ? "yes" : "no")}"));
        }
        return ExitCodes.Ok;
    }
}
