using System.Diagnostics;

namespace MailCluster.Testing.Fuzz;

/// <summary>One parser under fuzz: seeds to mutate, and one run over an input that throws only on a defect.</summary>
public sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, Func<byte[], Random, Task> Run)
{
    /// <summary>A target whose run is synchronous (a parser fed from memory).</summary>
    public FuzzTarget(string name, IReadOnlyList<byte[]> seeds, Action<byte[], Random> run)
        : this(name, seeds, (input, random) =>
        {
            run(input, random);
            return Task.CompletedTask;
        })
    {
    }
}

/// <summary>What a run found: inputs that crashed or hung (hex, first few), the slowest input and the most one input allocated (the whole process, sessions run on pool threads; to within the runtime's allocation granularity).</summary>
public sealed record FuzzReport(string Target, long Inputs, long Failed, IReadOnlyList<string> Failures, TimeSpan Slowest, long MostAllocatedBytes);

public static class FuzzRun
{
    /// <summary>More allocated for one input than this is a defect (inputs are at most a few hundred KiB).</summary>
    public const long AllocationLimit = 64L << 20;

    public static async Task<FuzzReport> RunAsync(FuzzTarget target, long count, int seed)
    {
        var random = new Random(seed);
        var mutator = new Mutator(target.Seeds, random);
        var failures = new List<string>();
        long failed = 0, most = 0;
        var slowest = TimeSpan.Zero;
        for (long i = 0; i < count; i++)
        {
            var input = i < target.Seeds.Count ? target.Seeds[(int)i] : mutator.Next();
            var allocated = GC.GetTotalAllocatedBytes(precise: false);
            var started = Stopwatch.GetTimestamp();
            try
            {
                await target.Run(input, random);
            }
            catch (Exception exception)
            {
                failed++;
                if (failures.Count < 5)
                {
                    failures.Add($"input {i} (seed {seed}): {exception.GetType().Name}: {exception.Message} | {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 200)))}");
                }
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            slowest = elapsed > slowest ? elapsed : slowest;
            var used = GC.GetTotalAllocatedBytes(precise: false) - allocated;
            most = Math.Max(most, used);
            if (used > AllocationLimit)
            {
                failed++;
                failures.Add($"input {i} (seed {seed}) allocated {used} bytes, over the {AllocationLimit}-byte limit | {Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 200)))}");
            }
        }
        return new FuzzReport(target.Name, count, failed, failures, slowest, most);
    }
}
