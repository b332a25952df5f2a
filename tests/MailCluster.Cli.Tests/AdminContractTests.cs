using System.Net;
using System.Text.Json;
using MailCluster.Admin;
using MailCluster.Cli.Verbs;

namespace MailCluster.Cli.Tests;

/// <summary>mailctl reads what the silo writes: the same contract records, serialized as the silo serializes them.</summary>
public sealed class AdminContractTests
{
    [Fact]
    public async Task DomainsAreRenderedFromTheRecordsTheSiloWrites()
    {
        DomainView[] domains =
        [
            new("dest.test", 3, 1, 2, new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero), 2, BackingOff: false, Suspended: true),
            new("tier.test", 0, 0, 0, null, 0, BackingOff: false, Suspended: false, InTier: 42),
        ];

        var (exit, output, _) = await RunAsync(new DomainsVerb(), ["domains"], domains);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal(
            "DOMAIN     DUE  DEFERRED  IN-FLIGHT  IN-TIER  OLDEST                     CONNECTIONS  BACKOFF  SUSPENDED\n"
            + "dest.test  3    1         2          -        2026-11-30T06:00:00+00:00  2            no       yes\n"
            + "tier.test  0    0         0          42       -                          0            no       no\n",
            output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task SilosShowTheirStatusTheirShapingHashesAndAFailedReload()
    {
        SiloView[] silos =
        [
            new("silo0", "127.0.0.1:11111", "active", ThisSilo: true, "0123456789ab", null),
            new("silo1", "127.0.0.1:11112", "active", ThisSilo: false, "ba9876543210", "Shaping:Rules:0:MessageRate is 'lots'"),
            new("silo2", "127.0.0.1:11113", "dead", ThisSilo: false, null, null),
        ];

        var (exit, output, _) = await RunAsync(new SilosVerb(), ["silos"], silos);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Equal(
            "SILO     ADDRESS          STATUS  SHAPING\n"
            + "silo0 *  127.0.0.1:11111  active  0123456789ab\n"
            + "silo1    127.0.0.1:11112  active  ba9876543210\n"
            + "silo2    127.0.0.1:11113  dead    -\n"
            + "silo1: its last shaping reload failed, older rules in force: Shaping:Rules:0:MessageRate is 'lots'\n",
            output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task AMessageShowsItsNullSenderAndEachRecipient()
    {
        var message = new MessageView("Q1", string.Empty, new DateTimeOffset(2026, 11, 30, 6, 0, 0, TimeSpan.Zero), 1234, "env-1", "HDRS", false, true,
            [new RecipientView("bob@dest.test", "dest.test", "Queued", 2, new DateTimeOffset(2026, 11, 30, 7, 0, 0, TimeSpan.Zero), "451 4.3.0 later", "FAILURE", null)]);

        var (exit, output, _) = await RunAsync(new MessageVerb(), ["message", "Q1"], message);

        Assert.Equal(ExitCodes.Ok, exit);
        Assert.Contains("sender:    <>\n", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.Matches(@"(?m)^bob@dest\.test\s+Queued\s+2\s+2026-11-30T07:00:00\+00:00\s+451 4\.3\.0 later$", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task AnErrorBodyIsShownAndMapsToItsExitCode()
    {
        var (exit, _, error) = await RunAsync(new DomainsVerb(), ["domains", "none.test"], new AdminError("domain 'none.test' has nothing queued"), HttpStatusCode.NotFound);

        Assert.Equal(ExitCodes.NotFound, exit);
        Assert.Equal("mailctl domains: domain 'none.test' has nothing queued\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task AnAnswerThisMailctlCannotReadIsAServerErrorNotACrash()
    {
        var (exit, _, error) = await RunAsync(new DomainsVerb(), ["domains"], new { domain = 5, due = "many" });

        Assert.Equal(ExitCodes.ServerError, exit);
        Assert.StartsWith("mailctl domains: the admin API answered something this mailctl cannot read: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASiloSpeakingAnotherApiVersionIsRefusedWithBothVersions()
    {
        var (exit, _, error) = await RunAsync(new RecipientActionVerb("retry", "scheduled for now"), ["retry", "--domain", "d.test"], new RecipientsChanged(1), version: AdminApi.Version + 1);

        Assert.Equal(ExitCodes.ServerError, exit);
        Assert.Contains($"admin API version {AdminApi.Version + 1}; this mailctl speaks {AdminApi.Version}", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync<T>(Verb verb, string[] args, T body, HttpStatusCode status = HttpStatusCode.OK, int version = AdminApi.Version)
    {
        using var http = new HttpClient(new Answer(JsonSerializer.Serialize(body, AdminApi.Json), status, version)) { BaseAddress = new Uri("http://silo.test/") };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await verb.RunAsync(new AdminClient(http, "token"), CommandLine.Parse(args)!, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>The silo's side of one exchange: its JSON and its API version header.</summary>
    private sealed class Answer(string json, HttpStatusCode status, int version) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(status) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
            response.Headers.Add(AdminApi.VersionHeader, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return Task.FromResult(response);
        }
    }
}
