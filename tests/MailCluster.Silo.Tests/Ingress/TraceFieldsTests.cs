using System.Buffers;
using System.Security.Authentication;
using System.Text;
using MailCluster.Silo.Ingress;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Silo.Tests.Ingress;

public sealed class TraceFieldsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 8, 15, 0, TimeSpan.Zero));
    private readonly TraceFields _trace;

    public TraceFieldsTests() => _trace = IngressParts.Trace(_time);

    private string Stamp(SmtpSessionInfo session, SmtpTransaction transaction)
    {
        var body = new ArrayBufferWriter<byte>();
        _trace.Stamp(session, transaction, body);
        return Encoding.UTF8.GetString(body.WrittenSpan);
    }

    [Fact]
    public void ReceivedNamesTheClientUsTheProtocolTheQueueIdAndTheOnlyRecipient()
    {
        var session = IngressParts.Session("192.0.2.9");
        session.HeloName = "client.test";
        session.IsExtended = true;
        var transaction = IngressParts.Transaction("a@client.test", "b@dest.test");

        var received = Stamp(session, transaction);

        Assert.Equal(
            $"Received: from client.test ([192.0.2.9])\r\n\tby silo.test (MailCluster) with ESMTP id {transaction.QueueId}\r\n\tfor <b@dest.test>;\r\n\tMon, 30 Nov 2026 08:15:00 +0000\r\n",
            received);
    }

    [Fact]
    public void AMessageForSeveralRecipientsNamesNone()
    {
        // RFC 5321 7.2: naming one would disclose the others, who may be blind copies.
        var received = Stamp(IngressParts.Session("127.0.0.1"), IngressParts.Transaction("a@client.test", "b@dest.test", "c@dest.test"));

        Assert.DoesNotContain("for <", received, StringComparison.Ordinal);
    }

    [Fact]
    public void AClientThatNeverSaidHeloIsUnknown()
    {
        Assert.StartsWith("Received: from unknown ([127.0.0.1])", Stamp(IngressParts.Session("127.0.0.1"), IngressParts.Transaction()), StringComparison.Ordinal);
    }

    [Theory]
    // RFC 3848 and RFC 6531 3.7.3: the "with" names, with S over TLS.
    [InlineData(false, false, false, " with SMTP id ")]
    [InlineData(true, false, false, " with ESMTP id ")]
    [InlineData(true, true, false, " with ESMTPS (TLSv1.3) id ")]
    [InlineData(true, false, true, " with UTF8SMTP id ")]
    [InlineData(true, true, true, " with UTF8SMTPS (TLSv1.3) id ")]
    public void TheProtocolSaysEhloTlsAndSmtpUtf8(bool extended, bool tls, bool smtpUtf8, string expected)
    {
        var session = IngressParts.Session("127.0.0.1");
        session.IsExtended = extended;
        session.TlsProtocol = tls ? SslProtocols.Tls13 : null;
        var transaction = new SmtpTransaction(new ReversePath(null), MailParameters.None with { SmtpUtf8 = smtpUtf8 });

        Assert.Contains(expected, Stamp(session, transaction), StringComparison.Ordinal);
    }

    [Fact]
    public void EachMessageGetsItsOwnQueueId()
    {
        var first = IngressParts.Transaction();
        var second = IngressParts.Transaction();

        Stamp(IngressParts.Session("127.0.0.1"), first);
        Stamp(IngressParts.Session("127.0.0.1"), second);

        Assert.NotNull(first.QueueId);
        Assert.NotEqual(first.QueueId, second.QueueId);
    }
}
