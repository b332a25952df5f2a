using MailCluster.Testing.Fuzz;

namespace MailCluster.Smtp.Tests.Fuzz;

/// <summary>A short run of each fuzz target (tests/bench/fuzz/run.sh runs a million inputs each): no crash, hang or runaway allocation.</summary>
[CollectionDefinition(nameof(FuzzTests), DisableParallelization = true)]
public sealed class FuzzCollection;

/// <summary>Alone, so that the process-wide allocation count of one input is that input's.</summary>
[Collection(nameof(FuzzTests))]
public sealed class FuzzTests
{
    [Theory]
    [InlineData("smtp-command", 20_000)]
    [InlineData("smtp-data", 20_000)]
    [InlineData("smtp-session", 2_000)]
    [InlineData("smtp-reply", 20_000)]
    [InlineData("dns-message", 20_000)]
    public async Task MutatedInputsNeverCrashHangOrRunAway(string target, int inputs)
    {
        var report = await FuzzRun.RunAsync(FuzzTargets.Named(target), inputs, seed: 20261130);

        Assert.True(report.Failures.Count == 0, string.Join('\n', report.Failures));
        Assert.Equal(inputs, report.Inputs);
    }
}
