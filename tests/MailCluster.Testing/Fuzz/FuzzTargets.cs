using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using MailCluster.Dns.Wire;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Testing.IO;

namespace MailCluster.Testing.Fuzz;

/// <summary>
/// The parsers that read what peers send: SMTP commands, DATA content, a whole server session
/// (commands, DATA and BDAT together), SMTP replies and DNS messages. Each run fails only on a
/// crash, a hang, or a bound broken; refusing the input is the parser's business.
/// </summary>
public static class FuzzTargets
{
    private const int MaxMessageSize = 64 * 1024;

    public static IReadOnlyList<FuzzTarget> All { get; } = [CommandParser(), DataReader(), ServerSession(), ReplyParser(), DnsParser()];

    public static FuzzTarget Named(string name) => All.Single(t => t.Name == name);

    private static FuzzTarget CommandParser() => new("smtp-command", Ascii(
        "EHLO client.test\r\n", "HELO [127.0.0.1]\r\n", "MAIL FROM:<a@b.test> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=x+2Bz\r\n",
        "RCPT TO:<c@d.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c+40d.test\r\n", "RCPT TO:<\"q u\\\"x\"@[IPv6:2001:db8::1]>\r\n",
        "MAIL FROM:<@a.test,@b.test:c@d.test> SMTPUTF8\r\n", "RCPT TO:<\u7528\u6237@\u4f8b\u5b50.\u6d4b\u8bd5>\r\n", "BDAT 10 LAST\r\n",
        "MAIL FROM:<>\r\n", "VRFY postmaster\r\n", "STARTTLS\r\n", "RSET\r\n", "NOOP x\r\n", "QUIT\r\n"), static (input, _) =>
    {
        foreach (var line in Lines(input))
        {
            // A refused line is answered with a permanent reply that says why (RFC 5321 4.2.4).
            Bound(SmtpCommandParser.TryParse(line, out var _, out var error) || error.Code is >= 500 and < 600, $"a refused line got reply {error}");
        }
    });

    private static FuzzTarget DataReader() => new("smtp-data", Ascii(
        "Subject: x\r\n\r\nline\r\n..stuffed\r\n.\r\n", "a\r\n.\r\nSubject: second\r\n\r\n.\r\n", "bare\nLF\r\n.\r\n",
        "nul\0\r\n.\r\n", ".\r\n", "\r\n.\r\n"), static (input, random) =>
    {
        var reader = new DataReader(1000, MaxMessageSize);
        var body = new ArrayBufferWriter<byte>();
        reader.Reset(0);
        Feed(input, random, (ref ReadOnlySequence<byte> buffer) =>
        {
            if (reader.Read(ref buffer, body))
            {
                Bound(body.WrittenCount <= MaxMessageSize + 1000, $"body of {body.WrittenCount} octets kept past the {MaxMessageSize}-octet limit");
                body.ResetWrittenCount();
                reader.Reset(0);
            }
        });
        Bound(body.WrittenCount <= MaxMessageSize + 1000, $"body of {body.WrittenCount} octets kept past the {MaxMessageSize}-octet limit");
    });

    private static FuzzTarget ServerSession() => new("smtp-session", Ascii(
        "EHLO a.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\nSubject: x\r\n\r\nhi\r\n.\r\nQUIT\r\n",
        "EHLO a.test\r\nMAIL FROM:<a@b.test> BODY=BINARYMIME\r\nRCPT TO:<c@d.test>\r\nBDAT 5\r\nhelloBDAT 3 LAST\r\nabcQUIT\r\n",
        "EHLO a.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nRCPT TO:<e@f.test>\r\nBDAT 0 LAST\r\nRSET\r\nHELP\r\n",
        "HELO a.test\r\nMAIL FROM:<a@b.test> SIZE=99999999999\r\nDATA\r\nNOOP\r\n"), static async (input, random) =>
    {
        var connection = new InMemoryConnection();
        var time = TimeProvider.System;
        var session = new SmtpServerSession(
            new SmtpPipeConnection(connection.Server, null), new DiscardingHost(),
            new SmtpSessionInfo(new IPEndPoint(IPAddress.Loopback, 40000), new IPEndPoint(IPAddress.Loopback, 25), "fuzz.test"),
            new SmtpServerLimits { MaxMessageSize = MaxMessageSize }, new SessionHeartbeat(time), time);
        var run = session.RunAsync(CancellationToken.None);
        // The replies are drained as they come, so the session never waits on a full pipe.
        var drain = Task.Run(async () =>
        {
            while (true)
            {
                var replies = await connection.Client.Input.ReadAsync();
                connection.Client.Input.AdvanceTo(replies.Buffer.End);
                if (replies.IsCompleted)
                {
                    return;
                }
            }
        });
        foreach (var chunk in Chunks(input, random))
        {
            await connection.Client.Output.WriteAsync(chunk);
        }
        connection.Client.Output.Complete();
        Bound(await EndsWithinAsync(run, TimeSpan.FromSeconds(10)), "the session did not end within 10 s of its input ending");
        connection.Server.Output.Complete();
        Bound(await EndsWithinAsync(drain, TimeSpan.FromSeconds(10)), "the replies did not end");
    });

    /// <summary>Whether <paramref name="task"/> ends within <paramref name="limit"/> (a hang is a defect, not a wait).</summary>
    private static async Task<bool> EndsWithinAsync(Task task, TimeSpan limit) => await Task.WhenAny(task, Task.Delay(limit)) == task;

    private static FuzzTarget ReplyParser() => new("smtp-reply", Ascii(
        "220 mx.test ESMTP\r\n", "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n", "451 4.3.0 later\r\n",
        "550-5.1.1 no\r\n550 5.1.1 such user\r\n", "354 go ahead\r\n", "421 4.7.0 slow down\r\n"), static (input, random) =>
    {
        var parser = new ReplyParser(new SmtpClientOptions());
        Feed(input, random, (ref ReadOnlySequence<byte> buffer) =>
        {
            try
            {
                while (parser.TryParse(ref buffer, out _))
                {
                }
            }
            catch (SmtpProtocolException)
            {
                // A broken reply is refused; the client then drops the connection, here a new parser.
                parser = new ReplyParser(new SmtpClientOptions());
                buffer = buffer.Slice(buffer.End);
            }
        });
    });

    private static FuzzTarget DnsParser() => new("dns-message", [MxResponse(), TxtResponse(), DnsQuery.Create(7, new DnsQuestion("fuzz.test", DnsRecordType.Mx), 1232).Packet], static (input, _) =>
        Bound(DnsMessageParser.TryParse(input, out var message, out var error) ? message is not null : error is not null, "TryParse gave neither a message nor an error"));

    private delegate void Parse(ref ReadOnlySequence<byte> buffer);

    /// <summary>Hands the input over in random chunks, keeping what a parse left unconsumed, as a pipe does.</summary>
    private static void Feed(byte[] input, Random random, Parse parse)
    {
        var pending = Array.Empty<byte>();
        foreach (var chunk in Chunks(input, random))
        {
            var buffer = new ReadOnlySequence<byte>([.. pending, .. chunk]);
            parse(ref buffer);
            pending = buffer.ToArray();
        }
    }

    private static IEnumerable<byte[]> Chunks(byte[] input, Random random)
    {
        for (var at = 0; at < input.Length;)
        {
            var length = Math.Min(input.Length - at, 1 + random.Next(random.Next(2) == 0 ? 8 : 4096));
            yield return input[at..(at + length)];
            at += length;
        }
    }

    private static IEnumerable<byte[]> Lines(byte[] input)
    {
        for (int start = 0, end; start < input.Length; start = end + 1)
        {
            end = Array.IndexOf(input, (byte)'\n', start);
            end = end < 0 ? input.Length - 1 : end;
            yield return input[start..(end + 1)];
        }
    }

    private static void Bound(bool holds, string what)
    {
        if (!holds)
        {
            throw new InvalidOperationException(what);
        }
    }

    private static byte[][] Ascii(params string[] seeds) => [.. seeds.Select(Encoding.UTF8.GetBytes)];

    /// <summary>An answer for fuzz.test MX 10 mx.fuzz.test, its names compressed (RFC 1035 4.1.4).</summary>
    private static byte[] MxResponse() =>
    [
        0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
        4, (byte)'f', (byte)'u', (byte)'z', (byte)'z', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0, 0, 15, 0, 1,
        0xC0, 12, 0, 15, 0, 1, 0, 0, 1, 44, 0, 7, 0, 10, 2, (byte)'m', (byte)'x', 0xC0, 12,
    ];

    private static byte[] TxtResponse()
    {
        var packet = new List<byte> { 0, 8, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 4, (byte)'f', (byte)'u', (byte)'z', (byte)'z', 4, (byte)'t', (byte)'e', (byte)'s', (byte)'t', 0, 0, 16, 0, 1 };
        var text = Encoding.ASCII.GetBytes("v=spf1 -all");
        packet.AddRange([0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 60]);
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)(text.Length + 1));
        packet.AddRange(length);
        packet.Add((byte)text.Length);
        packet.AddRange(text);
        return [.. packet];
    }

    /// <summary>A session host that accepts everything and keeps nothing.</summary>
    private sealed class DiscardingHost : ISmtpSessionHost
    {
        public SmtpReply? AuthorizeSender(SmtpSessionInfo session, SmtpTransaction transaction) => null;

        public ValueTask<AuthVerdict> AuthenticateAsync(SmtpSessionInfo session, string user, string password, CancellationToken cancellationToken) =>
            ValueTask.FromResult(user == "fuzz" && password == "fuzz" ? AuthVerdict.Succeeded(user) : AuthVerdict.Refused(SmtpReplies.AuthFailed));

        public SmtpReply? AuthorizeRecipient(SmtpSessionInfo session, SmtpTransaction transaction, Mailbox recipient) => null;

        public void BeginMessage(SmtpSessionInfo session, SmtpTransaction transaction, IBufferWriter<byte> body) => transaction.QueueId = "FUZZ";

        public void MessageRefused(SmtpSessionInfo session, SmtpReply reply)
        {
        }

        public ValueTask<SmtpReply> CommitAsync(SmtpSessionInfo session, SmtpTransaction transaction, MessageContent body, CancellationToken cancellationToken) =>
            ValueTask.FromResult(SmtpReplies.Queued("FUZZ"));
    }
}
