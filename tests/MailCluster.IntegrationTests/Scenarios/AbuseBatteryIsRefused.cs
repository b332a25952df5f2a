using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// The abuse battery (tests/abuse/run.sh), run as a reader would run it: a real silo, dnsmasq and
/// a sink on loopback, and every attack the security read found sent through the real listeners
/// (spoofed authors, lockout loops, a look-alike user name, a DSN fan-out, a connection squat, a
/// forged Host header). Each line of its output is one attack and what the silo answered.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AbuseBatteryIsRefused
{
    [Fact]
    public async Task EveryAttackOfTheBatteryIsRefused()
    {
        var run = await ExternalCommand.RunAsync(
            "/bin/bash", [Path.Combine(RepositoryLayout.Root, "tests", "abuse", "run.sh"), RepositoryLayout.Configuration], TimeSpan.FromMinutes(6));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("FAIL", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"abuse battery: 1[0-9] passed, 0 failed", run.Output);
    }
}
