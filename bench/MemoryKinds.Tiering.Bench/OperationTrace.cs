/// <summary>
/// The operations every cache configuration replays, in the same order: Zipf-distributed keys (rank r drawn with
/// probability proportional to 1 / r^skew) and a get or a set each. Ranks map to keys through a seeded permutation, so
/// the hot keys are spread over the fill order (and so over where the fill placed them). Drawn before any timing.
/// </summary>
internal sealed class OperationTrace
{
    /// <summary>The sign bit of an operation marks a set; the other bits are the key.</summary>
    public const int SetFlag = int.MinValue;

    private readonly int[] _operations;
    private readonly int _mask;

    /// <summary>Probability of each key (by key, not rank).</summary>
    public double[] KeyProbability { get; }

    private OperationTrace(int[] operations, double[] keyProbability)
    {
        _operations = operations;
        _mask = operations.Length - 1;
        KeyProbability = keyProbability;
    }

    /// <summary>The operation at <paramref name="position"/>; the trace repeats after its length (a power of two).</summary>
    public int this[long position] => _operations[position & _mask];

    /// <param name="length">Operations before the trace repeats; rounded up to a power of two.</param>
    public static OperationTrace Create(int keys, double skew, int getPercent, int length, int seed)
    {
        var random = new Random(seed);
        int[] keyOfRank = [.. Enumerable.Range(0, keys)];
        random.Shuffle(keyOfRank);

        // Cumulative weights by rank, then inverse sampling by binary search.
        double[] cumulative = new double[keys];
        double sum = 0;
        for (int rank = 0; rank < keys; rank++)
        {
            sum += Math.Pow(rank + 1, -skew);
            cumulative[rank] = sum;
        }
        double[] keyProbability = new double[keys];
        for (int rank = 0; rank < keys; rank++) keyProbability[keyOfRank[rank]] = Math.Pow(rank + 1, -skew) / sum;

        int[] operations = new int[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length)];
        for (int i = 0; i < operations.Length; i++)
        {
            int rank = Array.BinarySearch(cumulative, random.NextDouble() * sum);
            if (rank < 0) rank = ~rank;
            int key = keyOfRank[Math.Min(rank, keys - 1)];
            operations[i] = random.Next(100) < getPercent ? key : key | SetFlag;
        }
        return new OperationTrace(operations, keyProbability);
    }
}
