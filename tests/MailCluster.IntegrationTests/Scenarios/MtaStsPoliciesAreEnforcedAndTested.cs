using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// MTA-STS end to end (RFC 8461): the policies are published through dnsmasq's TXT records and a
/// local HTTPS policy host, and the certificates come from the test's own CA, trusted only through
/// <c>Delivery:TrustedRootsFile</c>. Enforce delivers to a listed MX with a verified certificate
/// and defers an unlisted MX or a certificate for another name (4.7.5); testing delivers to both
/// and counts what enforce would have refused (an unlisted MX, a certificate for another name).
/// </summary>
[Trait("Category", "Integration")]
public sealed class MtaStsPoliciesAreEnforcedAndTested
{
    private const string Good = "127.0.37.2";
    private const string Bad = "127.0.37.3";
    private const string PolicyHost = "127.0.37.10";

    private static readonly Dictionary<string, (string Mx, string Policy)> s_domains = new()
    {
        ["enforce.test"] = ("mx.good.test", "mode: enforce\nmx: mx.good.test"),
        ["unlisted.test"] = ("mx.good.test", "mode: enforce\nmx: *.elsewhere.test"),
        ["wrongname.test"] = ("mx.bad.test", "mode: enforce\nmx: mx.bad.test"),
        ["testing.test"] = ("mx.bad.test", "mode: testing\nmx: *.good.test"),
        ["testingbadcert.test"] = ("mx.bad.test", "mode: testing\nmx: mx.bad.test"),
        ["testingok.test"] = ("mx.good.test", "mode: testing\nmx: *.good.test"),
    };

    [Fact]
    public async Task EnforceDeliversOnlyOverVerifiedTlsToListedHostsAndTestingCountsFailures()
    {
        using var files = new TempDirectory();
        using var authority = TestCertificate.CreateAuthority();
        var roots = Path.Combine(files.Path, "roots.pem");
        await File.WriteAllTextAsync(roots, authority.ExportCertificatePem());
        using var goodCertificate = TestCertificate.Issue(authority, "mx.good.test");
        // mx.bad.test shows a certificate from the trusted CA, but for another name.
        using var badCertificate = TestCertificate.Issue(authority, "somebody-else.test");
        using var policyCertificate = TestCertificate.Issue(authority, [.. s_domains.Keys.Select(d => $"mta-sts.{d}")]);
        var policies = Directory.CreateDirectory(Path.Combine(files.Path, "policies")).FullName;
        foreach (var (domain, (_, policy)) in s_domains)
        {
            await File.WriteAllTextAsync(Path.Combine(policies, $"mta-sts.{domain}"), $"version: STSv1\n{policy}\nmax_age: 86400\n");
        }

        string[] zone =
        [
            $"host-record=mx.good.test,{Good}", $"host-record=mx.bad.test,{Bad}",
            "mx-host=source.test,mx.good.test,10",
            .. s_domains.SelectMany(d => new[]
            {
                $"mx-host={d.Key},{d.Value.Mx},10",
                $"txt-record=_mta-sts.{d.Key},\"v=STSv1; id=2026113001;\"",
                $"host-record=mta-sts.{d.Key},{PolicyHost}",
            }),
        ];
        await using var world = await MailWorld.StartAsync(zone, [], 0, $"--Delivery:TrustedRootsFile={roots}");
        await using var good = await AiosmtpdSink.StartAsync(Good, world.MxPort, tls: TestCertificate.WritePem(files.Path, goodCertificate, "good-"));
        await using var bad = await AiosmtpdSink.StartAsync(Bad, world.MxPort, tls: TestCertificate.WritePem(files.Path, badCertificate, "bad-"));
        var (policyCert, policyKey) = TestCertificate.WritePem(files.Path, policyCertificate, "policy-");
        await using var policyServer = await PythonServer.StartAsync(
            "mta_sts_server.py", ["--host", PolicyHost, "--cert", policyCert, "--key", policyKey, "--policies", policies], $"policy host on {PolicyHost}:443");

        foreach (var domain in s_domains.Keys)
        {
            var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@source.test", $"bob@{domain}");
            Assert.True(sent.ExitCode == 0, sent.ToString());
        }

        var delivered = (await good.WaitForMessagesAsync(2, TimeSpan.FromSeconds(60), world.Context)).SelectMany(m => m.RcptTos).Order().ToList();
        Assert.Equal(["bob@enforce.test", "bob@testingok.test"], delivered);
        Assert.Equal(["bob@testing.test", "bob@testingbadcert.test"], (await bad.WaitForMessagesAsync(2, TimeSpan.FromSeconds(60), world.Context)).SelectMany(m => m.RcptTos).Order());

        await world.WaitForMetricAsync("mailcluster_delivery_connections_total{domain=\"enforce.test\",source=\"default\",tls=\"verified\"}", 1);
        await world.WaitForMetricAsync("mailcluster_delivery_mta_sts_checks_total{domain=\"enforce.test\",mode=\"enforce\",result=\"valid\"}", 1);
        await world.WaitForMetricAsync("mailcluster_delivery_mta_sts_checks_total{domain=\"unlisted.test\",mode=\"enforce\",result=\"mx_mismatch\"}", 1);
        await world.WaitForMetricAsync("mailcluster_delivery_mta_sts_checks_total{domain=\"wrongname.test\",mode=\"enforce\",result=\"tls_failed\"}", 1);
        await world.WaitForMetricAsync("mailcluster_delivery_mta_sts_checks_total{domain=\"testing.test\",mode=\"testing\",result=\"mx_mismatch\"}", 1);
        await world.WaitForMetricAsync("mailcluster_delivery_mta_sts_checks_total{domain=\"testingbadcert.test\",mode=\"testing\",result=\"tls_failed\"}", 1);
        await world.WaitForMetricAsync("mailcluster_delivery_mta_sts_checks_total{domain=\"testingok.test\",mode=\"testing\",result=\"valid\"}", 1);
        await world.WaitForMetricAsync("mailcluster_delivery_attempts_total{domain=\"unlisted.test\",outcome=\"deferred\"}", 1);
        await world.WaitForMetricAsync("mailcluster_delivery_attempts_total{domain=\"wrongname.test\",outcome=\"deferred\"}", 1);
        var log = string.Join('\n', world.DeliveryLog());
        Assert.Contains("mx.good.test is not named by the MTA-STS policy of unlisted.test", log, StringComparison.Ordinal);
        Assert.Contains("4.7.5", log, StringComparison.Ordinal);
        // Enforce never fell back to plaintext, and the deferred ones went nowhere.
        Assert.Equal(2, bad.Messages().Count);
        Assert.Equal(2, good.Messages().Count);
    }
}
