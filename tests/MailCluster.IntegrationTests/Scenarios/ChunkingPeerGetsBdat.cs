using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Spool;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// A second silo is the MX; it offers CHUNKING and STARTTLS. Delivery with TLS required uses both,
/// and the content arrives byte for byte.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ChunkingPeerGetsBdat
{
    [Fact]
    public async Task MessageRelayedOverRequiredTlsToAChunkingMxArrivesIntact()
    {
        // arrange: silo B on 127.0.19.2 is dest.test's MX, accepting only (its own delivery off), with a certificate
        await using var world = await MailWorld.StartAsync(
            ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.19.2"], [], 0,
            "--Shaping:Rules:0:Match=dest.test", "--Shaping:Rules:0:Tls=Require");
        using var spoolB = new TempDirectory();
        var (cert, key) = TestCertificate.WritePem(spoolB.Path, "mx.dest.test");
        await using var mx = new SiloProcess(spoolB.Path, "127.0.19.2", world.MxPort, "--Smtp:TrustedNetworks=127.0.0.0/8", $"--Smtp:TlsCertificatePath={cert}", $"--Smtp:TlsKeyPath={key}");
        await mx.StartAsync();

        // act: a body with leading dots and a long line, which DATA would have to dot-stuff
        var body = ".leading dot\n..two dots\n" + new string('x', 900) + "\nend";
        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "bob@dest.test", "--body", body);
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await world.WaitForEmptySpoolAsync();

        // assert: B's final reply (quoted in A's delivery log) names the message, which holds the body unchanged
        var delivered = await world.WaitForLogAsync("\"type\":\"Delivered\"");
        Assert.Contains("\"mx_ip\":\"127.0.19.2\"", delivered, StringComparison.Ordinal);
        Assert.Contains("\"tls\":\"TLSv1.3\"", delivered, StringComparison.Ordinal);
        var queueIdAtB = System.Text.RegularExpressions.Regex.Match(delivered, "queued as ([0-9A-Z]+)").Groups[1].Value;
        var content = await SpoolInspector.ReadAsync(spoolB.Path, async s => await s.ReadContentAsync(queueIdAtB, CancellationToken.None));
        var text = System.Text.Encoding.ASCII.GetString(content!);
        Assert.StartsWith("Received: from silo.test", text, StringComparison.Ordinal);
        Assert.Contains("by silo.test (MailCluster) with ESMTPS (TLSv1.3) id ", text, StringComparison.Ordinal);
        Assert.Contains("\r\n.leading dot\r\n..two dots\r\n" + new string('x', 900) + "\r\nend\r\n", text, StringComparison.Ordinal);
    }
}
