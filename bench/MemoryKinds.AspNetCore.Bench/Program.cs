// Kestrel's own socket transport and pool against AddMemoryKindPools over a pmem kind, in one process on 127.0.0.1.
// Usage: MemoryKinds.AspNetCore.Bench [DIR] [--connections N] [--requests R] [--rounds K] [--mib M] [--pool-only]
//   DIR            where the pmem kind's file goes (default: the temp directory)
//   --connections  concurrent HttpClient connections (64); --requests: echo requests per connection per round (4)
//   --rounds       interleaved rounds per server (5); --mib: request and response body size (1)
//   --pool-only    also run Kestrel's own socket transport with only the pool factory replaced by the kind's, to show
//                  how its sends of native buffers fail
using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using MemoryKinds;
using MemoryKinds.AspNetCore;
using MemoryKinds.AspNetCore.Bench;

string directory = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)) ?? Path.GetTempPath();
int connections = Option("--connections", 64), requests = Option("--requests", 4), rounds = Option("--rounds", 5), mib = Option("--mib", 1);
bool poolOnly = args.Contains("--pool-only");

using PmemKind kind = PmemKind.Create(directory);
var body = new byte[mib << 20];
new Random(10).NextBytes(body);
var load = new EchoLoad(body, connections, requests);

var servers = new List<EchoServer>
{
    await EchoServer.StartAsync("kestrel", static _ => { }),
    await EchoServer.StartAsync("memorykind", services => services.AddMemoryKindPools(kind)),
};
if (poolOnly) servers.Add(await EchoServer.StartAsync("pool-only", services => services.AddSingleton<IMemoryPoolFactory<byte>>(new KindMemoryPoolFactory(kind))));

Console.WriteLine($"{connections} connections x {requests} echo requests of {mib} MiB per round, {rounds} rounds, kind {kind.Name} in {directory}");
var results = servers.ToDictionary(s => s.Name, _ => new List<RoundResult>());
var clients = servers.ToDictionary(s => s.Name, _ => new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { Timeout = TimeSpan.FromMinutes(2) });
for (int round = 0; round <= rounds; round++)
{
    // Round 0 warms up (JIT, pools, kind pages) and is not counted; the order alternates so neither server always goes first.
    IEnumerable<EchoServer> order = round % 2 == 0 ? servers : Enumerable.Reverse(servers);
    foreach (EchoServer server in order)
    {
        RoundResult result = await load.RunAsync(clients[server.Name], server.EchoUri);
        if (round > 0) results[server.Name].Add(result);
        Console.WriteLine($"round {round}{(round == 0 ? " (warm-up)" : "")} {server.Name,-10} {result.MiBPerSecond(body.Length),8:F1} MiB/s {result.CpuMillisecondsPerMiB(body.Length),6:F2} CPU ms/MiB  ok {result.Succeeded} failed {result.Failed}  {result.FirstError}");
    }
}
Console.WriteLine($"kind during load: {kind.GetStats()}");

double Median(string name, Func<RoundResult, double> measure)
{
    double[] sorted = results[name].Select(measure).Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
double Throughput(RoundResult r) => r.MiBPerSecond(body.Length);
double Cpu(RoundResult r) => r.CpuMillisecondsPerMiB(body.Length);
foreach (EchoServer server in servers)
    Console.WriteLine($"median {server.Name,-10} {Median(server.Name, Throughput),8:F1} MiB/s {Median(server.Name, Cpu),6:F2} CPU ms/MiB  failed requests {results[server.Name].Sum(r => r.Failed)}");
Console.WriteLine($"ratio memorykind/kestrel: throughput {Median("memorykind", Throughput) / Median("kestrel", Throughput):F2}, CPU per MiB {Median("memorykind", Cpu) / Median("kestrel", Cpu):F2}");

foreach (HttpClient client in clients.Values) client.Dispose();
foreach (EchoServer server in servers) await server.DisposeAsync();
Console.WriteLine($"kind after shutdown: {kind.GetStats()}");

int Option(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}
