// Port of memkind's examples/pmem_and_default_kind.c: with RLIMIT_DATA lowered, a large block from the DRAM kind
// (MemoryKind.Default: private anonymous memory, charged to RLIMIT_DATA) fails, while the same block from an unlimited
// pmem kind succeeds, because a shared file mapping is not charged to the data limit. memkind uses a 1 GiB limit and
// block; this port sets the limit to the process's current data size plus 128 MiB and asks for 256 MiB.
// Usage: PmemAndDefaultKind [directory] (default: the temp directory).
using System.Runtime.InteropServices;
using MemoryKinds;

string dir = args.Length > 0 ? args[0] : Path.GetTempPath();
Console.WriteLine($"{dir} is {(PmemKind.IsDax(dir) ? "" : "not ")}on a DAX file system.");

const int RLIMIT_DATA = 2;
const nuint BlockSize = 256u << 20;
using PmemKind pmem = PmemKind.Create(dir, 0);
MemoryKind dram = MemoryKind.Default;

if (getrlimit(RLIMIT_DATA, out RLimit saved) != 0) return Fail($"getrlimit failed: errno {Marshal.GetLastPInvokeError()}");
ulong dataNow = VmDataBytes();
var lowered = new RLimit { Current = dataNow + (128UL << 20), Maximum = saved.Maximum };
if (lowered.Current > saved.Current) lowered.Current = Math.Min(saved.Current, lowered.Current);
if (setrlimit(RLIMIT_DATA, in lowered) != 0) return Fail($"setrlimit failed: errno {Marshal.GetLastPInvokeError()}");
Console.WriteLine($"RLIMIT_DATA set to {lowered.Current >> 20} MiB (data size now {dataNow >> 20} MiB).");

int result = 0;
unsafe
{
    void* fromDram = dram.TryAlloc(BlockSize);
    void* fromPmem = pmem.TryAlloc(BlockSize);
    setrlimit(RLIMIT_DATA, in saved);

    if (fromDram != null)
    {
        result = Fail($"{BlockSize >> 20} MiB from the default kind succeeded under the data limit");
        dram.Free(fromDram);
    }
    else
    {
        Console.WriteLine($"{BlockSize >> 20} MiB from the default kind failed, as expected (RLIMIT_DATA).");
    }
    if (fromPmem == null)
    {
        result = Fail($"{BlockSize >> 20} MiB from the pmem kind failed");
    }
    else
    {
        ((byte*)fromPmem)[0] = 1;
        ((byte*)fromPmem)[BlockSize - 1] = 1;
        Console.WriteLine($"{BlockSize >> 20} MiB from the pmem kind succeeded: file mappings are not charged to RLIMIT_DATA.");
        pmem.Free(fromPmem);
    }
}
if (result == 0) Console.WriteLine("Memory was successfully allocated and released.");
return result;

static ulong VmDataBytes()
{
    foreach (string line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmData:", StringComparison.Ordinal))
            return ulong.Parse(line["VmData:".Length..].Trim().Split(' ')[0]) << 10;
    throw new InvalidOperationException("No VmData line in /proc/self/status.");
}

static int Fail(string message)
{
    Console.Error.WriteLine($"Unexpected result: {message}");
    return 1;
}

[DllImport("libc", SetLastError = true)]
static extern int getrlimit(int resource, out RLimit limit);

[DllImport("libc", SetLastError = true)]
static extern int setrlimit(int resource, in RLimit limit);

[StructLayout(LayoutKind.Sequential)]
struct RLimit
{
    public ulong Current;
    public ulong Maximum;
}
