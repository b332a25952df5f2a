using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Tests.Client;

public sealed class SmtpClientConnectionTests
{
    [Fact]
    public async Task EhloReplyBecomesTheExtensionSet()
    {
        await using var h = new ClientHarness(p => p.Greet(220)
            .OnEhlo(250, "PIPELINING", "SIZE 1000", "8BITMIME", "SMTPUTF8", "CHUNKING", "STARTTLS", "ENHANCEDSTATUSCODES", "DSN", "X-UNKNOWN"));
        await h.OpenAsync();
        Assert.Equal(SmtpExtension.Pipelining | SmtpExtension.Size | SmtpExtension.EightBitMime | SmtpExtension.SmtpUtf8
            | SmtpExtension.Chunking | SmtpExtension.StartTls | SmtpExtension.EnhancedStatusCodes | SmtpExtension.Dsn, h.Connection.Extensions.Supported);
        Assert.Equal(1000, h.Connection.Extensions.MaxSize);
        Assert.Equal("EHLO egress.test", h.Peer.Commands[0]);
    }

    [Fact]
    public async Task RefusingGreetingIsAValueNotAnException()
    {
        await using var h = new ClientHarness(p => p.Greet(554, "5.3.2 No service here"));
        var greeting = await h.Connection.ReadGreetingAsync(h.Token);
        Assert.Equal(554, greeting.Code);
        Assert.Equal(new EnhancedStatusCode(5, 3, 2), greeting.Enhanced);
        Assert.True(h.Connection.IsUsable);
        Assert.Equal(221, (await h.Connection.QuitAsync(h.Token))?.Code);
        Assert.False(h.Connection.IsUsable);
    }

    [Fact]
    public async Task EhloRefusedWithPermanentReplyFallsBackToHeloWithoutExtensions()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(502, "5.5.1 What?").OnHelo(250));
        await h.OpenAsync();
        Assert.Equal(SmtpExtensions.None, h.Connection.Extensions);
        Assert.Equal(["EHLO egress.test", "HELO egress.test"], h.Peer.Commands);
    }

    [Fact]
    public async Task EndlessMultilineEhloReplyDropsTheConnection()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhloEndless());
        await h.Connection.ReadGreetingAsync(h.Token);
        var e = await Assert.ThrowsAsync<SmtpProtocolException>(() => h.Connection.EhloAsync(h.Token).AsTask());
        Assert.Equal(SmtpProtocolFault.Violation, e.Fault);
        Assert.False(h.Connection.IsUsable);
        await Assert.ThrowsAsync<InvalidOperationException>(() => h.Connection.ResetAsync(h.Token).AsTask());
    }

    [Fact]
    public async Task PeerClosingMidReplyIsConnectionClosed()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "PIPELINING"));
        await h.OpenAsync();
        await h.Peer.DisposeAsync();
        var e = await Assert.ThrowsAsync<SmtpProtocolException>(() => h.Connection.ResetAsync(h.Token).AsTask());
        Assert.Equal(SmtpProtocolFault.ConnectionClosed, e.Fault);
    }

    [Fact]
    public async Task StartTlsUpgradesAndAsksEhloAgain()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "STARTTLS").OnStartTls().OnEhlo(250, "PIPELINING", "8BITMIME"));
        await h.OpenAsync();
        var reply = await h.Connection.StartTlsAsync(SmtpTlsOptions.Opportunistic("mx.test"), h.Token);
        Assert.Equal(250, reply.Code);
        Assert.NotNull(h.Connection.TlsProtocol);
        Assert.True(h.Connection.Extensions.Has(SmtpExtension.Pipelining));
        Assert.False(h.Connection.Extensions.Has(SmtpExtension.StartTls));
        Assert.Equal(["EHLO egress.test", "STARTTLS", "EHLO egress.test"], h.Peer.Commands);
    }

    [Fact]
    public async Task VerifiedTlsAcceptsTheRightNameUnderATrustedRoot()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "STARTTLS").OnStartTls().OnEhlo(250));
        await h.OpenAsync();
        var tls = SmtpTlsOptions.Verified("mx.test", [h.Peer.Certificate]);
        Assert.Equal(250, (await h.Connection.StartTlsAsync(tls, h.Token)).Code);
    }

    [Fact]
    public async Task VerifiedTlsRefusesACertificateForAnotherName()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "STARTTLS").OnStartTls());
        await h.OpenAsync();
        var tls = SmtpTlsOptions.Verified("other.test", [h.Peer.Certificate]);
        var e = await Assert.ThrowsAsync<SmtpProtocolException>(() => h.Connection.StartTlsAsync(tls, h.Token).AsTask());
        Assert.Equal(SmtpProtocolFault.TlsFailed, e.Fault);
    }

    [Fact]
    public async Task StartTlsRefusedLeavesThePlaintextSessionUsable()
    {
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "STARTTLS").OnStartTls(454, "4.7.0 TLS not available"));
        await h.OpenAsync();
        Assert.Equal(454, (await h.Connection.StartTlsAsync(SmtpTlsOptions.Opportunistic("mx.test"), h.Token)).Code);
        Assert.Null(h.Connection.TlsProtocol);
        Assert.True(h.Connection.IsUsable);
    }

    [Fact]
    public async Task BytesAfterTheStartTlsReplyAreAProtocolError()
    {
        // CVE-2011-0411, client side: a plaintext reply injected behind the 220 must not be read as if it came over TLS.
        await using var h = new ClientHarness(p => p.Greet(220).OnEhlo(250, "STARTTLS").OnStartTls(injectAfter: "250-PIPELINING\r\n250 AUTH PLAIN\r\n"));
        await h.OpenAsync();
        var e = await Assert.ThrowsAsync<SmtpProtocolException>(() => h.Connection.StartTlsAsync(SmtpTlsOptions.Opportunistic("mx.test"), h.Token).AsTask());
        Assert.Equal(SmtpProtocolFault.Violation, e.Fault);
        Assert.Null(h.Connection.TlsProtocol);
        Assert.False(h.Connection.IsUsable);
    }

    [Fact]
    public async Task TricklingGreetingHitsTheOverallDeadline()
    {
        await using var h = new ClientHarness(p => p.GreetTrickling(TimeSpan.FromSeconds(20)));
        var greeting = h.Connection.ReadGreetingAsync(h.Token).AsTask();
        // One octet every 20 s never lets an idle timer fire; the 5-minute overall deadline must.
        for (var elapsed = 0; elapsed < 280; elapsed += 20)
        {
            h.Time.Advance(TimeSpan.FromSeconds(20));
        }
        Assert.False(greeting.IsCompleted);
        h.Time.Advance(TimeSpan.FromSeconds(20));
        var e = await Assert.ThrowsAsync<SmtpProtocolException>(() => greeting);
        Assert.Equal(SmtpProtocolFault.Timeout, e.Fault);
        Assert.True(h.Peer.BytesSent > 0);
    }

    [Fact]
    public void TimeoutDefaultsAreValidAndFloorsNameTheOptionAndTheRfc()
    {
        Assert.Empty(new SmtpClientOptions().Validate());
        var errors = new SmtpClientOptions
        {
            MaxReplyLineLength = 100,
            Timeouts = new SmtpClientTimeouts { DataTermination = TimeSpan.FromMinutes(1), Ehlo = TimeSpan.Zero },
        }.Validate();
        Assert.Contains("Delivery:Client:Timeouts:DataTermination is 00:01:00; RFC 5321 4.5.3.2.6 requires at least 00:10:00", errors);
        Assert.Contains("Delivery:Client:Timeouts:Ehlo is 00:00:00; it must be positive", errors);
        Assert.Contains("Delivery:Client:MaxReplyLineLength is 100; RFC 5321 4.5.3.1.5 requires at least 512", errors);
    }
}
