using System.Globalization;

/// <summary>What to run and how big: the command line, with the defaults of the full and the quick mode.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        Usage: MemoryKinds.Tiering.Bench [--quick] [--only cache|placement] [options]
          --quick               a smoke run (under 30 s): fewer keys, shorter and fewer rounds
          --dir DIR             directory of the pmem kinds and of the tiers' pmem tier (default /dev/shm)
          --ext4-dir DIR        second directory for an all-pmem configuration (default /tmp; "none" to skip)
          --keys N              cache keys (default 32768, quick 4096)
          --zipf S              Zipf skew of the keys (default 0.99)
          --get-percent P       share of gets, the rest sets (default 90)
          --min-value B         smallest value in bytes (default 1024); sizes are log-uniform, drawn once per key
          --max-value B         largest value in bytes (default 65536)
          --ratio N             the tiers are 1:N DRAM:pmem (default 4)
          --sets replace|overwrite  a set allocates a new block and frees the old (default) or writes in place
          --sample N            promotion counts one access in N (default 4)
          --sweep-every N       operations between promotion sweeps (default 100000, quick 20000)
          --min-hits N          sampled accesses (halved every sweep) an entry needs to be promoted (default 2)
          --pmem-penalty-ns N   EMULATION: spin N ns on every access of a value in a pmem kind (default 0: off)
          --rounds N            recorded cache rounds, after one warm-up round (default 11, quick 3)
          --ops N               cache operations per configuration per round (default 400000, quick 40000)
          --placement-rounds N  rounds of the placement part (default 101, quick 21)
          --charts DIR          where the PNG charts go (default bench/MemoryKinds.Tiering.Bench/results)
          --junit FILE          also write the checks as JUnit XML (CI counts them as tests)
        """;

    public bool Quick { get; private init; }
    public string? Only { get; private init; }
    public string Dir { get; private init; } = "/dev/shm";
    public string? Ext4Dir { get; private init; } = "/tmp";
    public int Keys { get; private init; }
    public double ZipfSkew { get; private init; } = 0.99;
    public int GetPercent { get; private init; } = 90;
    public int MinValue { get; private init; } = 1024;
    public int MaxValue { get; private init; } = 64 * 1024;
    public int PmemRatio { get; private init; } = 4;
    public bool SetsReplace { get; private init; } = true;
    public int SampleEvery { get; private init; } = 4;
    public int SweepEvery { get; private init; }
    public int MinHits { get; private init; } = 2;
    public int PmemPenaltyNs { get; private init; }
    public int Rounds { get; private init; }
    public int OpsPerRound { get; private init; }
    public int PlacementRounds { get; private init; }
    public string? ChartDir { get; private init; }
    public string? JUnitPath { get; private init; }

    /// <summary>DRAM's share of the value bytes: 1 / (1 + ratio).</summary>
    public double DramShare => 1.0 / (1 + PmemRatio);

    public string Mode => Quick ? "quick" : "full";

    private static readonly string[] s_flags = ["--quick", "--help"];
    private static readonly string[] s_valued =
    [
        "--only", "--dir", "--ext4-dir", "--keys", "--zipf", "--get-percent", "--min-value", "--max-value", "--ratio", "--sets",
        "--sample", "--sweep-every", "--min-hits", "--pmem-penalty-ns", "--rounds", "--ops", "--placement-rounds", "--charts", "--junit",
    ];

    public static BenchOptions Parse(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (s_valued.Contains(args[i]) && i + 1 < args.Length) i++;
            else if (!s_flags.Contains(args[i])) throw new ArgumentException($"Unknown or incomplete argument '{args[i]}'.");
        }
        bool quick = args.Contains("--quick");
        var options = new BenchOptions
        {
            Quick = quick,
            Only = Option(args, "--only"),
            Dir = Option(args, "--dir") ?? "/dev/shm",
            Ext4Dir = Option(args, "--ext4-dir") is string e ? (e == "none" ? null : e) : "/tmp",
            Keys = Int(args, "--keys", quick ? 4096 : 32768),
            ZipfSkew = Option(args, "--zipf") is string z ? double.Parse(z, CultureInfo.InvariantCulture) : 0.99,
            GetPercent = Int(args, "--get-percent", 90),
            MinValue = Int(args, "--min-value", 1024),
            MaxValue = Int(args, "--max-value", 64 * 1024),
            PmemRatio = Int(args, "--ratio", 4),
            SetsReplace = (Option(args, "--sets") ?? "replace") switch
            {
                "replace" => true,
                "overwrite" => false,
                string other => throw new ArgumentException($"--sets takes replace or overwrite, not '{other}'."),
            },
            SampleEvery = Int(args, "--sample", 4),
            SweepEvery = Int(args, "--sweep-every", quick ? 20_000 : 100_000),
            MinHits = Int(args, "--min-hits", 2),
            PmemPenaltyNs = Int(args, "--pmem-penalty-ns", 0),
            Rounds = Int(args, "--rounds", quick ? 3 : 11),
            OpsPerRound = Int(args, "--ops", quick ? 40_000 : 400_000),
            PlacementRounds = Int(args, "--placement-rounds", quick ? 21 : 101),
            ChartDir = Option(args, "--charts"),
            JUnitPath = Option(args, "--junit"),
        };
        options.Validate();
        return options;
    }

    private void Validate()
    {
        if (Only is not (null or "cache" or "placement")) throw new ArgumentException($"--only takes cache or placement, not '{Only}'.");
        if (Keys < 16 || Keys > (1 << 30)) throw new ArgumentException("--keys must be between 16 and 2^30.");
        if (!(ZipfSkew > 0)) throw new ArgumentException("--zipf must be positive.");
        if (GetPercent is < 0 or > 100) throw new ArgumentException("--get-percent must be between 0 and 100.");
        if (MinValue < CacheEntry.HeaderBytes || MaxValue < MinValue) throw new ArgumentException($"--min-value must be at least {CacheEntry.HeaderBytes} and --max-value at least --min-value.");
        if (PmemRatio < 1) throw new ArgumentException("--ratio must be at least 1.");
        if (SampleEvery < 1 || SweepEvery < 1 || MinHits < 1) throw new ArgumentException("--sample, --sweep-every and --min-hits must be at least 1.");
        if (PmemPenaltyNs < 0) throw new ArgumentException("--pmem-penalty-ns must not be negative.");
        if (Rounds < 1 || OpsPerRound < 1 || PlacementRounds < 1) throw new ArgumentException("--rounds, --ops and --placement-rounds must be at least 1.");
    }

    private static int Int(string[] args, string name, int fallback)
        => Option(args, name) is string text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
