namespace MemoryKinds.Tests.SafeSurface;

/// <summary>KindStream against MemoryStream: the same random Write/Seek/SetLength/Read sequence must give the same results on both.</summary>
public class KindStreamDifferentialTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 64)]
    [InlineData(4, 1000)]
    [InlineData(5, 65536)]
    public void RandomOperationsGiveWhatMemoryStreamGives(int seed, int segmentSize)
    {
        using MemoryKind kind = SafeKinds.Create("tmpfs");
        using var actual = new KindStream(kind, segmentSize);
        using var expected = new MemoryStream();
        var random = new Random(seed);
        int scale = Math.Min(segmentSize, 4096) * 3 + 10;
        for (int step = 0; step < 3000; step++)
        {
            string operation = Apply(random, scale, expected, actual);
            Assert.True(expected.Position == actual.Position, $"step {step} ({operation}): position {actual.Position}, MemoryStream {expected.Position}");
            Assert.True(expected.Length == actual.Length, $"step {step} ({operation}): length {actual.Length}, MemoryStream {expected.Length}");
            if (step % 250 == 0) Assert.Equal(expected.ToArray(), KindStreamTests.ReadAll(actual));
        }
        Assert.Equal(expected.ToArray(), KindStreamTests.ReadAll(actual));
    }

    /// <summary>Applies one random operation to both streams, checks what it returned, and names it for the failure message.</summary>
    private static string Apply(Random random, int scale, MemoryStream expected, KindStream actual)
    {
        long length = expected.Length;
        switch (random.Next(11))
        {
            case 0:
            case 1:
            {
                byte[] data = RandomBytes(random, random.Next(scale));
                int offset = random.Next(data.Length + 1);
                int count = random.Next(data.Length - offset + 1);
                expected.Write(data, offset, count);
                actual.Write(data, offset, count);
                return $"Write({count}) at {expected.Position - count}";
            }
            case 2:
            {
                byte[] data = RandomBytes(random, random.Next(scale));
                expected.Write(data);
                actual.Write(data.AsSpan());
                return $"Write(span of {data.Length})";
            }
            case 3:
            {
                byte value = (byte)random.Next(256);
                expected.WriteByte(value);
                actual.WriteByte(value);
                return "WriteByte";
            }
            case 4:
            {
                var origin = (SeekOrigin)random.Next(3);
                long from = origin switch { SeekOrigin.Begin => 0, SeekOrigin.Current => expected.Position, _ => length };
                long offset = random.Next((int)-Math.Min(from + 3, int.MaxValue / 2), scale);
                string outcome = Outcome(() => expected.Seek(offset, origin));
                Assert.Equal(outcome, Outcome(() => actual.Seek(offset, origin)));
                return $"Seek({offset}, {origin}) -> {outcome}";
            }
            case 5:
            {
                long value = random.Next((int)Math.Min(length + scale, int.MaxValue));
                if (random.Next(4) == 0) value = length / 2;
                expected.SetLength(value);
                actual.SetLength(value);
                return $"SetLength({value})";
            }
            case 6:
            case 7:
            {
                int count = random.Next(scale);
                var want = new byte[count];
                var got = new byte[count];
                int read = expected.Read(want, 0, count);
                Assert.Equal(read, random.Next(2) == 0 ? actual.Read(got, 0, count) : actual.Read(got.AsSpan()));
                Assert.Equal(want, got);
                return $"Read({count}) -> {read}";
            }
            case 8:
            {
                int value = expected.ReadByte();
                Assert.Equal(value, actual.ReadByte());
                return $"ReadByte -> {value}";
            }
            case 9:
            {
                long position = random.Next((int)Math.Min(length + scale, int.MaxValue));
                expected.Position = position;
                actual.Position = position;
                return $"Position = {position}";
            }
            default:
            {
                // An empty write past the end still moves the end there, in MemoryStream.
                long position = length + random.Next(scale);
                expected.Position = actual.Position = position;
                expected.Write([]);
                actual.Write([]);
                return $"Write(empty) at {position}";
            }
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Outcome(Func<long> operation)
    {
        try
        {
            return operation().ToString();
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }
}
