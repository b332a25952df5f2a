using System.Net;
using MailCluster.Dns.Wire;
using MailCluster.Testing.Dns;

namespace MailCluster.Dns.Tests.Transport;

/// <summary>Real sockets against <see cref="FakeDnsServer"/>; every wait is bounded by a 300 ms timeout.</summary>
public sealed class DnsExchangeTests
{
    private static readonly DnsQuestion s_question = new("mx.test", DnsRecordType.A);

    [Fact]
    public async Task SpoofedIdIsIgnoredAndTheGenuineAnswerAccepted()
    {
        await using var server = FakeDnsServer.Start(q =>
        [
            Answer(q, "203.0.113.66").WithId(unchecked((ushort)(q.Id + 1))).Build(),
            Answer(q, "192.0.2.1").Build(),
        ]);

        var result = await TestResolvers.Stub(server).LookupAsync(s_question, CancellationToken.None);

        Assert.Equal("192.0.2.1", Address(result));
    }

    [Fact]
    public async Task AnswerFromAnotherSourcePortIsIgnored()
    {
        await using var server = FakeDnsServer.Start(q =>
        [
            new FakeDnsReply(Answer(q, "203.0.113.66").Build(), FromOtherPort: true),
            Answer(q, "192.0.2.1").Build(),
        ]);

        var result = await TestResolvers.Stub(server).LookupAsync(s_question, CancellationToken.None);

        Assert.Equal("192.0.2.1", Address(result));
    }

    [Fact]
    public async Task ReplyToAQuestionWeNeverAskedIsIgnored()
    {
        await using var server = FakeDnsServer.Start(q =>
        [
            new DnsPacketBuilder().WithId(q.Id).AsResponse().Question("evil.test", DnsPacketBuilder.TypeA).A("mx.test", "203.0.113.66").Build(),
            Answer(q, "192.0.2.1").Build(),
        ]);

        var result = await TestResolvers.Stub(server).LookupAsync(s_question, CancellationToken.None);

        Assert.Equal("192.0.2.1", Address(result));
    }

    [Fact]
    public async Task OnlySpoofedRepliesEndInTimeout()
    {
        await using var server = FakeDnsServer.Start(q => [Answer(q, "203.0.113.66").WithId(unchecked((ushort)(q.Id ^ 0xFFFF))).Build()]);

        var result = await TestResolvers.Stub(TimeSpan.FromMilliseconds(300), server).LookupAsync(s_question, CancellationToken.None);

        Assert.Equal(DnsLookupStatus.Timeout, result.Status);
        Assert.Contains(server.Address, result.Detail);
    }

    [Fact]
    public async Task SilentNameserverTimesOutThenTheNextOneAnswers()
    {
        await using var silent = FakeDnsServer.Start(_ => []);
        await using var working = FakeDnsServer.Answering(q => Answer(q, "192.0.2.1"));

        var result = await TestResolvers.Stub(TimeSpan.FromSeconds(1), silent, working).LookupAsync(s_question, CancellationToken.None);

        Assert.Equal("192.0.2.1", Address(result));
        Assert.Single(silent.Queries);
        Assert.Single(working.Queries);
    }

    [Fact]
    public async Task ServerFailureMovesOnToTheNextNameserver()
    {
        await using var failing = FakeDnsServer.Answering(q => DnsPacketBuilder.ReplyTo(q).AsResponse(rcode: 2));
        await using var working = FakeDnsServer.Answering(q => Answer(q, "192.0.2.1"));

        var result = await TestResolvers.Stub(failing, working).LookupAsync(s_question, CancellationToken.None);

        Assert.Equal("192.0.2.1", Address(result));
    }

    [Theory]
    [InlineData(2, nameof(DnsLookupStatus.ServerFailure))]
    [InlineData(5, nameof(DnsLookupStatus.Refused))]
    public async Task ErrorFromEveryNameserverIsReported(int rcode, string expectedName)
    {
        var expected = Enum.Parse<DnsLookupStatus>(expectedName);
        await using var server = FakeDnsServer.Answering(q => DnsPacketBuilder.ReplyTo(q).AsResponse(rcode));

        var result = await TestResolvers.Stub(server).LookupAsync(s_question, CancellationToken.None);

        Assert.Equal(expected, result.Status);
        Assert.True(result.IsTemporaryFailure);
    }

    [Fact]
    public async Task TruncatedUdpAnswerIsRetriedOverTcp()
    {
        await using var server = FakeDnsServer.Start(q =>
        [
            q.OverTcp ? Answer(q, "192.0.2.1").Build() : DnsPacketBuilder.ReplyTo(q).AsResponse(truncated: true).Build(),
        ]);

        var result = await TestResolvers.Stub(server).LookupAsync(s_question, CancellationToken.None);

        Assert.Equal("192.0.2.1", Address(result));
        Assert.Equal([false, true], server.Queries.Select(q => q.OverTcp));
    }

    [Fact]
    public async Task EveryQueryHasAFreshIdAndSourcePortAndAdvertises1232()
    {
        await using var server = FakeDnsServer.Answering(q => Answer(q, "192.0.2.1"));
        var resolver = TestResolvers.Stub(server);

        for (var i = 0; i < 8; i++)
        {
            await resolver.LookupAsync(s_question, CancellationToken.None);
        }

        Assert.True(server.Queries.Select(q => q.Id).Distinct().Count() > 4);
        Assert.True(server.Queries.Select(q => q.Client.Port).Distinct().Count() > 4);
        Assert.All(server.Queries, q => Assert.Equal((ushort)1232, q.EdnsPayloadSize));
    }

    [Fact]
    public async Task RetriesRoundTheNameserversAttemptsTimes()
    {
        await using var silent = FakeDnsServer.Start(_ => []);
        var options = TestResolvers.Options(silent);
        options.Timeout = TimeSpan.FromMilliseconds(100);
        options.Attempts = 3;

        var result = await TestResolvers.Stub(options).LookupAsync(s_question, CancellationToken.None);

        Assert.Equal(DnsLookupStatus.Timeout, result.Status);
        Assert.Equal(3, silent.Queries.Count);
    }

    private static DnsPacketBuilder Answer(FakeDnsQuery query, string address) =>
        DnsPacketBuilder.ReplyTo(query).A(query.Name, address);

    private static string Address(DnsLookupResult result)
    {
        Assert.Equal(DnsLookupStatus.Success, result.Status);
        return Assert.IsType<ARecord>(Assert.Single(result.Records)).Address.ToString();
    }

    [Fact]
    public async Task QueryIdsComeFromTheCryptographicGeneratorNotTheInjectedRandom()
    {
        // RFC 5452 9.2: two resolvers built alike (the same seed once gave the same ids) send unrelated ids.
        await using var server = FakeDnsServer.Answering(q => Answer(q, "192.0.2.1"));
        for (var resolver = 0; resolver < 2; resolver++)
        {
            var stub = TestResolvers.Stub(server);
            for (var query = 0; query < 3; query++)
            {
                await stub.LookupAsync(s_question, CancellationToken.None);
            }
        }

        var ids = server.Queries.Select(q => q.Id).ToList();
        Assert.NotEqual(ids.Take(3), ids.Skip(3));
    }
}
