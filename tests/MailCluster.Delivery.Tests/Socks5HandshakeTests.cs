using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using MailCluster.Delivery.Egress;
using MailCluster.Testing.IO;

namespace MailCluster.Delivery.Tests;

/// <summary>The SOCKS5 client handshake (RFC 1928) against a proxy scripted byte by byte in memory.</summary>
public sealed class Socks5HandshakeTests
{
    private static readonly byte[] s_greeting = [5, 1, 0];
    private static readonly byte[] s_noAuthentication = [5, 0];
    // CONNECT to 192.0.2.25:25, the target of most tests.
    private static readonly byte[] s_connect = Convert.FromHexString("05010001C00002190019");
    private static readonly byte[] s_banner = "220 mx.test ESMTP\r\n"u8.ToArray();

    private readonly InMemoryConnection _connection = new();

    private PipeReader FromClient => _connection.Server.Input;

    private PipeWriter ToClient => _connection.Server.Output;

    public static TheoryData<string, byte[]> SuccessReplies() => new()
    {
        { "IPv4", Convert.FromHexString("050000017F00003603E8") },
        { "IPv6", Convert.FromHexString("0500000420010DB80000000000000000000000540050") },
        { "domain name", [5, 0, 0, 3, 10, .. "proxy.test"u8, 0x9C, 0x40] },
        { "empty domain name", Convert.FromHexString("05000003000000") },
        { "255-octet domain name", [5, 0, 0, 3, 255, .. Enumerable.Repeat((byte)'a', 255), 0, 0] },
        { "nonzero RSV", Convert.FromHexString("05007F017F00003603E8") },
    };

    [Theory]
    [MemberData(nameof(SuccessReplies))]
    public async Task ASuccessfulReplyOfAnyAddressTypeIsReadToItsLastByteAndNoFurther(string kind, byte[] reply)
    {
        var stream = _connection.ClientStream();
        var handshake = Socks5Handshake.ConnectAsync(stream, IPAddress.Parse("192.0.2.25"), 25, CancellationToken.None);

        await ExpectAsync(s_greeting);
        await SendAsync(s_noAuthentication);
        await ExpectAsync(s_connect);
        await SendAsync([.. reply, .. s_banner]);
        await ToClient.CompleteAsync();
        await handshake;

        var rest = await RestAsync(stream);
        Assert.True(s_banner.AsSpan().SequenceEqual(rest), $"{kind}: the target's bytes were read as {Convert.ToHexString(rest)}");
    }

    [Theory]
    [InlineData("192.0.2.25", 25, "05010001C00002190019")]
    [InlineData("203.0.113.7", 0xABCD, "05010001CB007107ABCD")]
    [InlineData("2001:db8::25", 587, "0501000420010DB8000000000000000000000025024B")]
    [InlineData("::ffff:192.0.2.25", 65535, "05010001C0000219FFFF")]
    public async Task ConnectNamesTheTargetByAddressTypeWithThePortInNetworkOrder(string target, int port, string request)
    {
        var handshake = Socks5Handshake.ConnectAsync(_connection.ClientStream(), IPAddress.Parse(target), port, CancellationToken.None);

        await ExpectAsync(s_greeting);
        await SendAsync(s_noAuthentication);
        await ExpectAsync(Convert.FromHexString(request));
        await SendAsync(Convert.FromHexString("050000010000000000"), Convert.FromHexString("00"));
        await ToClient.CompleteAsync();
        await handshake;
    }

    [Fact]
    public async Task AProxyThatAnswersAheadOfTheClientAByteAtATimeStillConnectsAndLeavesTheSessionUnread()
    {
        var stream = _connection.ClientStream();
        var handshake = Socks5Handshake.ConnectAsync(stream, IPAddress.Parse("192.0.2.25"), 25, CancellationToken.None);

        byte[] everything = [.. s_noAuthentication, 5, 0, 0, 3, 4, .. "mx.x"u8, 0, 25, .. s_banner];
        await SendAsync([.. everything.Select(octet => new[] { octet })]);
        await ToClient.CompleteAsync();
        await handshake;

        Assert.Equal(s_banner, await RestAsync(stream));
    }

    [Theory]
    [InlineData(1, "general SOCKS server failure")]
    [InlineData(2, "connection not allowed by ruleset")]
    [InlineData(3, "network unreachable")]
    [InlineData(4, "host unreachable")]
    [InlineData(5, "connection refused")]
    [InlineData(6, "TTL expired")]
    [InlineData(7, "command not supported")]
    [InlineData(8, "address type not supported")]
    [InlineData(9, "unassigned reply code")]
    [InlineData(255, "unassigned reply code")]
    public async Task EachRefusalIsNamedInWordsWithItsCode(byte code, string words)
    {
        var error = await FailsAsync([.. s_noAuthentication, 5, code, 0, 1, 0, 0, 0, 0, 0, 0]);

        Assert.Equal($"SOCKS5 proxy refused CONNECT to 192.0.2.25:25: {words} (REP {code})", error.Message);
    }

    [Fact]
    public async Task ARefusalCutShortAfterItsCodeIsStillTheRefusal()
    {
        var error = await FailsAsync([.. s_noAuthentication, 5, 5]);

        Assert.Equal("SOCKS5 proxy refused CONNECT to 192.0.2.25:25: connection refused (REP 5)", error.Message);
    }

    [Fact]
    public async Task ARefusalToAnIPv6TargetShowsTheAddressInBrackets()
    {
        var handshake = Socks5Handshake.ConnectAsync(_connection.ClientStream(), IPAddress.Parse("2001:db8::25"), 25, CancellationToken.None);
        await SendAsync([.. s_noAuthentication, 5, 3]);
        await ToClient.CompleteAsync();

        var error = await Assert.ThrowsAsync<Socks5Exception>(() => handshake);
        Assert.Equal("SOCKS5 proxy refused CONNECT to [2001:db8::25]:25: network unreachable (REP 3)", error.Message);
    }

    [Theory]
    [InlineData("05FF", "SOCKS5 proxy accepts none of the offered authentication methods (only \"no authentication\" is offered)")]
    [InlineData("0502", "SOCKS5 proxy chose authentication method 0x02, which was not offered (only 0x00, \"no authentication\")")]
    [InlineData("0400", "SOCKS5 proxy answered the greeting with version 4, not 5: is it a SOCKS5 proxy?")]
    [InlineData("005A", "SOCKS5 proxy answered the greeting with version 0, not 5: is it a SOCKS5 proxy?")]
    [InlineData("3232", "SOCKS5 proxy answered the greeting with version 50, not 5: is it a SOCKS5 proxy?")]
    [InlineData("05000400000100000000000000", "SOCKS5 proxy answered CONNECT to 192.0.2.25:25 with version 4, not 5")]
    [InlineData("050005000002", "SOCKS5 proxy answered CONNECT to 192.0.2.25:25 with unknown address type 2 (ATYP)")]
    [InlineData("050005000000", "SOCKS5 proxy answered CONNECT to 192.0.2.25:25 with unknown address type 0 (ATYP)")]
    public async Task AProxyThatBreaksTheProtocolIsNamedForWhatItDid(string answers, string message)
    {
        var error = await FailsAsync(Convert.FromHexString(answers));

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("", "its method selection")]
    [InlineData("05", "its method selection")]
    [InlineData("0500", "its reply to CONNECT to 192.0.2.25:25")]
    [InlineData("050005", "its reply to CONNECT to 192.0.2.25:25")]
    [InlineData("05000500", "its reply to CONNECT to 192.0.2.25:25")]
    [InlineData("0500050000", "its reply to CONNECT to 192.0.2.25:25")]
    [InlineData("05000500000100", "its reply to CONNECT to 192.0.2.25:25")]
    [InlineData("0500050000017F00003600", "its reply to CONNECT to 192.0.2.25:25")]
    [InlineData("0500050000030A7072", "its reply to CONNECT to 192.0.2.25:25")]
    [InlineData("050005000003", "its reply to CONNECT to 192.0.2.25:25")]
    public async Task AProxyThatClosesEarlyIsNamedWithTheReplyItCutShort(string answers, string what)
    {
        var error = await FailsAsync(Convert.FromHexString(answers));

        Assert.Equal($"SOCKS5 proxy closed the connection before {what} was complete", error.Message);
        Assert.IsType<EndOfStreamException>(error.InnerException);
    }

    [Fact]
    public async Task AResetConnectionIsASocks5FailureThatKeepsTheCause()
    {
        var handshake = Socks5Handshake.ConnectAsync(_connection.ClientStream(), IPAddress.Parse("192.0.2.25"), 25, CancellationToken.None);
        await ExpectAsync(s_greeting);
        await ToClient.CompleteAsync(new IOException("Connection reset by peer"));

        var error = await Assert.ThrowsAsync<Socks5Exception>(() => handshake);
        Assert.Equal("SOCKS5 proxy connection failed while reading its method selection: Connection reset by peer", error.Message);
    }

    [Fact]
    public async Task ASilentProxyIsLeftWhenTheCallerCancels()
    {
        using var cancel = new CancellationTokenSource();
        var handshake = Socks5Handshake.ConnectAsync(_connection.ClientStream(), IPAddress.Parse("192.0.2.25"), 25, cancel.Token);
        await ExpectAsync(s_greeting);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handshake);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    public async Task APortOutside0To65535IsTheCallersMistake(int port)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Socks5Handshake.ConnectAsync(_connection.ClientStream(), IPAddress.Loopback, port, CancellationToken.None));
    }

    /// <summary>Plays a proxy that sends <paramref name="answers"/> whatever the client says, then closes.</summary>
    private async Task<Socks5Exception> FailsAsync(byte[] answers)
    {
        var handshake = Socks5Handshake.ConnectAsync(_connection.ClientStream(), IPAddress.Parse("192.0.2.25"), 25, CancellationToken.None);
        await SendAsync(answers);
        await ToClient.CompleteAsync();
        return await Assert.ThrowsAsync<Socks5Exception>(() => handshake);
    }

    /// <summary>Asserts the client's next bytes are exactly <paramref name="expected"/>, no more: it waits for each answer.</summary>
    private async Task ExpectAsync(byte[] expected)
    {
        // Bounded, so a client that sends too little fails the test instead of hanging it.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var read = await FromClient.ReadAtLeastAsync(expected.Length, deadline.Token);
        var sent = read.Buffer.ToArray();
        FromClient.AdvanceTo(read.Buffer.End);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(sent));
    }

    /// <summary>What is left on the client's stream once the proxy has closed: the target's bytes, whole.</summary>
    private static async Task<byte[]> RestAsync(Stream stream)
    {
        using var rest = new MemoryStream();
        await stream.CopyToAsync(rest);
        return rest.ToArray();
    }

    /// <summary>Writes each part as its own flush, as separate TCP segments would arrive.</summary>
    private async Task SendAsync(params byte[][] parts)
    {
        foreach (var part in parts)
        {
            await ToClient.WriteAsync(part);
        }
    }
}
