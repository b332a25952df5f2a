using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class SmtpSourceTwentySessions
{
    [Fact]
    public async Task EveryMessageFromTwentyParallelSessionsIsSpooled()
    {
        using var spool = new TempDirectory();
        await using var silo = new SiloProcess(spool.Path);
        await silo.StartAsync();

        // smtp-source exits non-zero on the first reply that is not 2xx.
        var result = await SmtpSource.SendAsync(silo.SmtpAddress, sessions: 20, messages: 1000, sizeBytes: 2048);
        Assert.True(result.ExitCode == 0, result.ToString());

        Assert.Equal(new Spool.SpoolCounts(1000, 1000, 0), await SpoolInspector.CountAsync(spool.Path));
    }
}
