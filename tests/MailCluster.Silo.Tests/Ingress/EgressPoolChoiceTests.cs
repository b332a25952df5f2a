using System.Diagnostics.Metrics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Mime.Dkim;
using MailCluster.Silo.Ingress;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using MailCluster.Testing.Dkim;
using MailCluster.Testing.IO;
using MailCluster.Testing.Smtp;

namespace MailCluster.Silo.Tests.Ingress;

/// <summary>
/// The egress pool a message is spooled with, chosen at DATA in a real SMTP session against the
/// silo's session host: the user's pool, else a trusted client's <c>X-MailCluster-Pool</c>, else the
/// default; the field never reaches the spool. 127.0.0.0/8 is the trusted network.
/// </summary>
public sealed class EgressPoolChoiceTests : IAsyncDisposable
{
    private const string Message = "From: a@client.test\r\nSubject: hi\r\n\r\nbody\r\n";

    private readonly IngressTestBed _bed = new();
    private readonly X509Certificate2 _certificate = TestCertificate.Create("mx.test");
    private readonly List<int> _rejections = [];
    private readonly MeterListener _listener = new();

    public EgressPoolChoiceTests()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == _bed.Meters && instrument.Name == "mailcluster.ingress.rejections")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) => _rejections.Add((int)tags[0].Value!));
        _listener.Start();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        _certificate.Dispose();
        await _bed.DisposeAsync();
    }

    /// <summary>Pools "Bulk" and "transactional" (the default).</summary>
    private static EgressOptions Egress() => new()
    {
        Sources = [new() { Name = "ip1", Address = "127.0.0.51" }, new() { Name = "ip2", Address = "127.0.0.52" }],
        Pools = [new() { Name = "Bulk", Sources = [new() { Name = "ip1" }] }, new() { Name = "transactional", Sources = [new() { Name = "ip2" }] }],
        DefaultPool = "transactional",
    };

    /// <summary>A session from <paramref name="remote"/>, greeted and past EHLO; with a user line, a submission session authenticated as that user over STARTTLS.</summary>
    private async Task<SmtpSessionHarness<SpoolingSessionHost>> SessionAsync(string remote, string? userLine = null, DkimOptions? dkim = null, SmtpServerLimits? limits = null)
    {
        var users = userLine is null ? new SubmissionUsers(null) : IngressParts.Users(_bed.Directory.Path, userLine);
        var host = IngressParts.Host(
            _bed.Spool, _bed.Suppressions, dkim ?? new DkimOptions(), users, new IngressMetrics(_bed.Meters, () => 0), _bed.Delivery, _bed.Time, IngressParts.PoolNames(Egress()));
        var session = new SmtpSessionHarness<SpoolingSessionHost>(host, limits, _certificate, remote, submission: userLine is not null);
        await session.ReadReplyAsync();
        Assert.StartsWith("250", await session.CommandAsync("EHLO client.test"), StringComparison.Ordinal);
        if (userLine is not null)
        {
            Assert.StartsWith("220", await session.CommandAsync("STARTTLS"), StringComparison.Ordinal);
            await session.StartClientTlsAsync();
            Assert.StartsWith("250", await session.CommandAsync("EHLO client.test"), StringComparison.Ordinal);
            var plain = Convert.ToBase64String(Encoding.ASCII.GetBytes($"\0{userLine.Split(':')[0]}\0pw"));
            Assert.Equal("235 2.7.0 Authentication successful", await session.CommandAsync("AUTH PLAIN " + plain));
        }
        return session;
    }

    /// <summary>One transaction; the reply to the content.</summary>
    private static async Task<string> SendAsync(SmtpSessionHarness<SpoolingSessionHost> session, string content)
    {
        Assert.StartsWith("250", await session.CommandAsync("MAIL FROM:<a@client.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await session.CommandAsync("RCPT TO:<b@dest.test>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await session.CommandAsync("DATA"), StringComparison.Ordinal);
        return await session.CommandAsync(content + ".");
    }

    /// <summary>The pool and content the spool holds for the message a 250 reply names.</summary>
    private async Task<(string? Pool, string Content)> SpooledAsync(string reply)
    {
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply, StringComparison.Ordinal);
        var queueId = reply.Split(' ')[^1];
        var stored = (await _bed.Spool.GetMessageAsync(queueId, CancellationToken.None))!;
        var content = Encoding.ASCII.GetString((await _bed.Spool.ReadContentAsync(queueId, CancellationToken.None))!);
        Assert.DoesNotContain("X-MailCluster-Pool", content, StringComparison.OrdinalIgnoreCase);
        return (stored.Message.Pool, content);
    }

    [Fact]
    public async Task ATrustedClientsHeaderChoosesThePoolByItsConfiguredNameAndIsNotSpooled()
    {
        await using var session = await SessionAsync("127.0.0.1");

        var (pool, content) = await SpooledAsync(await SendAsync(session, "From: a@client.test\r\nX-MailCluster-Pool:  BULK \r\nSubject: hi\r\n\r\nbody\r\n"));
        var (unnamed, _) = await SpooledAsync(await SendAsync(session, Message));

        Assert.Equal("Bulk", pool);
        Assert.EndsWith("\r\n" + Message, content, StringComparison.Ordinal);
        Assert.Null(unnamed);
    }

    [Fact]
    public async Task AUsersPoolWinsOverATrustedClientsHeader()
    {
        await using var session = await SessionAsync("127.0.0.1", "alice:{0}:client.test:::Transactional");

        var (pool, content) = await SpooledAsync(await SendAsync(session, "X-MailCluster-Pool: bulk\r\n" + Message));

        Assert.Equal("transactional", pool);
        Assert.EndsWith("\r\n" + Message, content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAuthenticatedClientOutsideTheRelayNetworksHasItsHeaderIgnoredAndTakenOut()
    {
        await using var session = await SessionAsync("192.0.2.9", "alice:{0}:client.test");

        var (pool, content) = await SpooledAsync(await SendAsync(session, "From: a@client.test\r\nX-MailCluster-Pool: bulk\r\nSubject: hi\r\nx-mailcluster-pool:\r\n\tbulk\r\n\r\nbody\r\n"));

        Assert.Null(pool);
        Assert.EndsWith("\r\n" + Message, content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1", null, "X-MailCluster-Pool: nowhere\r\n", "550 5.7.1 Egress pool 'nowhere' is not configured")]
    [InlineData("192.0.2.9", "alice:{0}:client.test:::gone", "", "550 5.7.1 Egress pool 'gone' is not configured")]
    [InlineData("127.0.0.1", null, "X-MailCluster-Pool:\r\n", "550 5.7.1 Egress pool '' is not configured")]
    [InlineData("127.0.0.1", null, "X-MailCluster-Pool: bulk\r\nX-MailCluster-Pool: transactional\r\n", "550 5.7.1 The message's X-MailCluster-Pool fields name different egress pools")]
    public async Task APoolThatIsNotConfiguredOrTwoDifferentPoolsAreRefusedAtDataAndNothingIsSpooled(string remote, string? userLine, string fields, string refusal)
    {
        await using var session = await SessionAsync(remote, userLine);

        var reply = await SendAsync(session, fields + Message);

        Assert.Equal(refusal, reply);
        Assert.Equal([550], _rejections);
        Assert.Equal(0, (await _bed.Spool.CountAsync(CancellationToken.None)).Messages);
    }

    [Fact]
    public async Task FieldsThatNameOnePoolInAnySpellingAreAllTakenOut()
    {
        await using var session = await SessionAsync("127.0.0.1");

        var (pool, content) = await SpooledAsync(await SendAsync(session, "X-MailCluster-Pool: bulk\r\nFrom: a@client.test\r\nx-mailcluster-pool : BULK\r\nSubject: hi\r\n\r\nbody\r\n"));

        Assert.Equal("Bulk", pool);
        Assert.EndsWith("\r\n" + Message, content, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ASignedMessageWithoutItsPoolFieldStillVerifiesInMemoryAndInAFile(bool large)
    {
        var key = DkimTestKey.Ed25519(_bed.Directory.Path, "client.test", "s1");
        var dkim = new DkimOptions { Keys = [new() { Domain = key.Domain, Selector = key.Selector, KeyFile = key.KeyFile, Algorithm = key.Algorithm }] };
        // Past 64 KiB in memory the content goes to a file as it arrives, and is signed and spooled from there.
        var limits = new SmtpServerLimits { MaxContentInMemory = 64 * 1024, SpillDirectory = Path.Combine(_bed.Directory.Path, "incoming") };
        var body = large ? string.Concat(Enumerable.Repeat(new string('x', 998) + "\r\n", 200)) : "body\r\n";
        await using var session = await SessionAsync("127.0.0.1", dkim: dkim, limits: limits);

        var (pool, content) = await SpooledAsync(await SendAsync(session, $"From: a@client.test\r\nX-MailCluster-Pool:\r\n bulk\r\nSubject: hi\r\n\r\n{body}"));

        Assert.Equal("Bulk", pool);
        Assert.StartsWith("DKIM-Signature:", content, StringComparison.Ordinal);
        Assert.EndsWith($"\r\nFrom: a@client.test\r\nSubject: hi\r\n\r\n{body}", content, StringComparison.Ordinal);
        Assert.Equal([true], DkimTestVerifier.Verify(content, key));
    }
}
