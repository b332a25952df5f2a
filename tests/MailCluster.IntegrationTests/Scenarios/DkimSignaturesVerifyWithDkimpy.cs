using System.Text;
using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.Dkim;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// Mail signed at acceptance verifies with dkimpy, an independent implementation, over the bytes
/// the MX received: RSA, Ed25519 and both at once, the public keys published in dnsmasq.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DkimSignaturesVerifyWithDkimpy
{
    [Fact]
    public async Task RsaEd25519AndDualSignaturesVerifyAndMailWithoutAKeyGoesUnsigned()
    {
        using var keys = new TempDirectory();
        DkimTestKey[] all =
        [
            DkimTestKey.Rsa(keys.Path, "rsa.test", "mc2026"),
            DkimTestKey.Ed25519(keys.Path, "ed.test", "mc2026"),
            DkimTestKey.Rsa(keys.Path, "dual.test", "rsa"),
            DkimTestKey.Ed25519(keys.Path, "dual.test", "ed"),
        ];
        string[] zone = ["mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.34.2", .. all.Select(k => k.DnsmasqLine)];
        await using var world = await MailWorld.StartAsync(zone, ["127.0.34.2"], 0, [.. all.SelectMany((k, i) => k.Arguments(i))]);

        foreach (var from in new[] { "alice@rsa.test", "alice@ed.test", "alice@dual.test", "alice@unkeyed.test" })
        {
            var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, from, "bob@dest.test", "--header", $"Subject: from {from}");
            Assert.True(sent.ExitCode == 0, sent.ToString());
        }
        var received = await world.Sink("127.0.34.2").WaitForMessagesAsync(4, TimeSpan.FromSeconds(60), world.Context);
        await world.Silo.WaitForMetricAsync("mailcluster_ingress_dkim_messages_total{outcome=\"signed\"}", 3, world.Context);
        await world.Silo.WaitForMetricAsync("mailcluster_ingress_dkim_messages_total{outcome=\"unsigned\"}", 1, world.Context);

        var signed = received.Where(m => !m.MailFrom.EndsWith("@unkeyed.test", StringComparison.Ordinal)).Select(m => Dkimpy.Write(keys.Path, m)).ToList();
        var verified = await Dkimpy.VerifyAsync(world, signed);
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Equal(4, verified.Output.Split('\n').Count(l => l.Contains(": pass d=", StringComparison.Ordinal)));
        Assert.Contains(": pass d=dual.test s=rsa", verified.Output, StringComparison.Ordinal);
        Assert.Contains(": pass d=dual.test s=ed", verified.Output, StringComparison.Ordinal);
        var unsigned = received.Single(m => m.MailFrom.EndsWith("@unkeyed.test", StringComparison.Ordinal));
        Assert.DoesNotContain("DKIM-Signature:", unsigned.Content, StringComparison.OrdinalIgnoreCase);

        // The verifier can fail: one changed byte of a signed body.
        var tampered = Path.Combine(keys.Path, "tampered.eml");
        await File.WriteAllTextAsync(tampered, (await File.ReadAllTextAsync(signed[0], Encoding.Latin1)).Replace("This is a test mailing", "This is a test mailinG", StringComparison.Ordinal), Encoding.Latin1);
        var failed = await Dkimpy.VerifyAsync(world, [tampered]);
        Assert.True(failed.ExitCode == 1 && failed.Output.Contains(": fail", StringComparison.Ordinal), failed.ToString());
    }
}
