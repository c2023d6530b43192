using System.Diagnostics;

namespace MemoryKinds.AspNetCore.Bench;

/// <summary>What one round of load against one server did; <paramref name="CpuSeconds"/> is the whole process's CPU time.</summary>
internal readonly record struct RoundResult(int Succeeded, int Failed, double Seconds, double CpuSeconds, string? FirstError)
{
    /// <summary>Bytes moved both ways per second, in MiB.</summary>
    public double MiBPerSecond(int bodyBytes) => Succeeded * 2.0 * bodyBytes / Seconds / (1 << 20);

    /// <summary>
    /// CPU milliseconds (server and client together, as only one server is loaded at a time) per MiB moved both ways:
    /// steadier than throughput on a machine that other work shares.
    /// </summary>
    public double CpuMillisecondsPerMiB(int bodyBytes) => CpuSeconds * 1000 / (Succeeded * 2.0 * bodyBytes / (1 << 20));
}

/// <summary>Drives concurrent echo requests of one body and checks every response against it.</summary>
internal sealed class EchoLoad(byte[] body, int connections, int requestsPerConnection)
{
    public async Task<RoundResult> RunAsync(HttpClient client, Uri uri)
    {
        int succeeded = 0, failed = 0;
        string? firstError = null;
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            for (int i = 0; i < requestsPerConnection; i++)
            {
                try
                {
                    using HttpResponseMessage response = await client.PostAsync(uri, new ByteArrayContent(body));
                    byte[] echoed = await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();
                    if (!echoed.AsSpan().SequenceEqual(body)) throw new InvalidDataException($"echoed {echoed.Length} bytes that differ from the {body.Length} sent");
                    Interlocked.Increment(ref succeeded);
                }
                catch (Exception e) when (e is HttpRequestException or InvalidDataException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"{e.GetType().Name}: {e.GetBaseException().Message}", null);
                }
            }
        }));
        double seconds = clock.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        return new RoundResult(succeeded, failed, seconds, cpuSeconds, firstError);
    }
}
