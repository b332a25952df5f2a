using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Scenarios;

[Trait("Category", "Integration")]
public sealed class OperatorControlsDeliveryWithMailctl
{
    private static readonly string[] s_zone =
    [
        "mx-host=dest.test,mx.dest.test,10", "host-record=mx.dest.test,127.0.17.2",
        "mx-host=sender.test,mx.sender.test,10", "host-record=mx.sender.test,127.0.17.3",
    ];

    [Fact]
    public async Task SuspendHoldsMailAtTheSiloAndResumeDeliversIt()
    {
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.17.2", "127.0.17.3"]);
        var suspend = await world.MailctlAsync(["suspend", "dest.test"]);
        Assert.True(suspend.ExitCode == 0, suspend.ToString());
        Assert.Contains("dest.test: delivery suspended", suspend.Output, StringComparison.Ordinal);

        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        // The domain's actor is told of the due message on two scheduler passes and holds it both times.
        await world.WaitForMetricAsync("mailcluster_delivery_suspended_holds_total{domain=\"dest.test\"}", 2);
        Assert.Empty(world.Sink("127.0.17.2").Messages());
        var domains = await world.MailctlAsync(["domains"]);
        Assert.True(domains.ExitCode == 0, domains.ToString());
        Assert.Matches(@"(?m)^DOMAIN\s+DUE\s+DEFERRED\s+IN-FLIGHT\s+IN-TIER\s+OLDEST\s+CONNECTIONS\s+BACKOFF\s+SUSPENDED$", domains.Output);
        Assert.Matches(@"(?m)^dest\.test\s+1\s+0\s+0\s+-\s+\S+\s+0\s+no\s+yes$", domains.Output);

        var message = await world.MailctlAsync(["message", Swaks.QueueId(sent)]);
        Assert.True(message.ExitCode == 0, message.ToString());
        Assert.Contains("sender:    <alice@sender.test>", message.Output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^bob@dest\.test\s+Queued\s+0\s", message.Output);

        var resume = await world.MailctlAsync(["resume", "dest.test"]);
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Single(await world.Sink("127.0.17.2").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
    }

    [Fact]
    public async Task BounceOfADeferredDomainSendsDsnsAndEmptiesItsQueue()
    {
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.17.2", "127.0.17.3"], 0, "--Delivery:Retry:Schedule=01:00:00");
        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "tempfail+bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        await world.WaitForLogAsync("\"type\":\"Deferred\"");

        var bounce = await world.MailctlAsync(["bounce", "--domain", "dest.test"]);
        Assert.True(bounce.ExitCode == 0, bounce.ToString());
        Assert.Contains("1 recipient(s) bounced", bounce.Output, StringComparison.Ordinal);

        var dsn = Assert.Single(await world.Sink("127.0.17.3").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
        Assert.Equal("<>", dsn.MailFrom);
        Assert.Contains("bounced by the mail system's operator", dsn.Content, StringComparison.Ordinal);
        await world.WaitForEmptySpoolAsync();
    }

    [Fact]
    public async Task WrongTokenIsRefusedAndUnknownDomainIsAClear404()
    {
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.17.2"]);

        var unauthorized = await world.MailctlAsync(["domains"], token: "not-the-token");
        Assert.Equal(3, unauthorized.ExitCode);
        Assert.Contains("missing or wrong admin token", unauthorized.Output, StringComparison.Ordinal);
        using (var http = new HttpClient())
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{world.AdminPort}/api/domains"));
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var unknown = await world.MailctlAsync(["domains", "nowhere.test"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("domain 'nowhere.test' has nothing queued and no active delivery", unknown.Output, StringComparison.Ordinal);
        var missing = await world.MailctlAsync(["message", "NOSUCHID"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("message NOSUCHID is not in the spool", missing.Output, StringComparison.Ordinal);
        var usage = await world.MailctlAsync(["bounce"]);
        Assert.Equal(64, usage.ExitCode);
    }

    [Fact]
    public async Task ShapingFileIsReloadedWithoutARestartAndABadOneIsRefused()
    {
        using var files = new Testing.IO.TempDirectory();
        var shaping = Path.Combine(files.Path, "shaping.json");
        await File.WriteAllTextAsync(shaping, """{ "Shaping": { "Rules": [ { "Match": "dest.test", "MaxConnections": 1 } ] } }""");
        await using var world = await MailWorld.StartAsync(s_zone, ["127.0.17.2"], 0, $"--ShapingFile={shaping}");

        await File.WriteAllTextAsync(shaping, """{ "Shaping": { "Rules": [ { "Match": "dest.test", "MaxConnections": 2 }, { "Match": "mx:.example.net", "MessageRate": "100/min" } ] } }""");
        var reload = await world.MailctlAsync(["reload-shaping"]);
        Assert.True(reload.ExitCode == 0, reload.ToString());
        Assert.Contains("shaping reloaded: 2 rule(s)", reload.Output, StringComparison.Ordinal);

        await File.WriteAllTextAsync(shaping, """{ "Shaping": { "Rules": [ { "Match": "dest.test", "MessageRate": "lots" } ] } }""");
        var refused = await world.MailctlAsync(["reload-shaping"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("Shaping:Rules:0:MessageRate is 'lots'", refused.Output, StringComparison.Ordinal);
        await File.WriteAllTextAsync(shaping, """{ "Shaping": { "Rules": [ """);
        var malformed = await world.MailctlAsync(["reload-shaping"]);
        Assert.True(malformed.ExitCode == 1 && malformed.Output.Contains("is not valid JSON", StringComparison.Ordinal), malformed.ToString());

        // The silo kept working with the last good rules.
        var sent = await Swaks.SendAsync(world.Silo.SmtpAddress, "alice@sender.test", "bob@dest.test");
        Assert.True(sent.ExitCode == 0, sent.ToString());
        Assert.Single(await world.Sink("127.0.17.2").WaitForMessagesAsync(1, TimeSpan.FromSeconds(30), world.Context));
    }
}
