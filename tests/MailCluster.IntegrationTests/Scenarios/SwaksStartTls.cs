using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Spool;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class SwaksStartTls
{
    [Fact]
    public async Task MessageSentOverStartTlsIsSpooledAndMarkedEsmtps()
    {
        using var spool = new TempDirectory();
        using var certs = new TempDirectory();
        var (cert, key) = TestCertificate.WritePem(certs.Path, "silo.test");
        await using var silo = new SiloProcess(spool.Path, $"--Smtp:TlsCertificatePath={cert}", $"--Smtp:TlsKeyPath={key}");
        await silo.StartAsync();

        var result = await Swaks.SendAsync(silo.SmtpAddress, "alice@client.test", "bob@dest.test", "--tls");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("TLS started", result.Output, StringComparison.Ordinal);

        var content = await SpoolInspector.ReadAsync(spool.Path, async s => await s.ReadContentAsync(Swaks.QueueId(result), CancellationToken.None));
        Assert.Contains("with ESMTPS (TLSv1.3)", System.Text.Encoding.UTF8.GetString(content!), StringComparison.Ordinal);
    }
}
