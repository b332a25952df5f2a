using System.Buffers;
using System.Net.Sockets;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Responses;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;

namespace MailCluster.Delivery.Egress;

/// <summary>An <see cref="IMxConnection"/> over our SMTP client on a TCP socket.</summary>
internal sealed class SmtpMxConnection : IMxConnection
{
    private readonly SmtpClientConnection _client;
    private readonly Socket _socket;
    private readonly TimeProvider _time;
    private readonly ResponseJudge _judge;

    private readonly bool _afterTlsFallback;

    /// <param name="afterTlsFallback">Plaintext because an opportunistic handshake with this host failed: a reply wanting TLS defers, never bounces.</param>
    public SmtpMxConnection(SmtpClientConnection client, Socket socket, MxEndpoint endpoint, TimeProvider time, ResponseJudge judge, bool afterTlsFallback)
    {
        _judge = judge;
        _afterTlsFallback = afterTlsFallback;
        _client = client;
        _socket = socket;
        Endpoint = endpoint;
        _time = time;
    }

    public MxEndpoint Endpoint { get; }

    public async Task<JobResult> SendAsync(DeliveryJob job, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        SmtpTransactionResult result;
        try
        {
            result = await _client.SendAsync(ToEnvelope(job), new ReadOnlySequence<byte>(content), cancellationToken);
        }
        catch (Exception exception) when (exception is SmtpProtocolException or IOException or SocketException or InvalidOperationException)
        {
            // Before the final dot nothing was handed over: every recipient is simply retried.
            var lost = DeliveryOutcomeClassifier.ConnectionLost(exception.Message);
            return new JobResult(job, job.Recipients.Select(_ => lost).ToArray(), Endpoint, _time.GetElapsedTime(started), ConnectionUsable: false);
        }
        var domain = job.Recipients[0].Domain;
        var outcomes = result.Recipients.Select(r => r.Reply is { } reply
            ? _judge.Judge(DeliveryOutcomeClassifier.FromReply(reply, r.Phase, _afterTlsFallback), reply, r.Phase, domain, Endpoint.Host)
            : DeliveryOutcomeClassifier.UnknownOutcome(result.UnknownOutcomeCause?.Message ?? "no reply")).ToArray();
        return new JobResult(job, outcomes, Endpoint, _time.GetElapsedTime(started), _client.IsUsable, result.IsOutcomeUnknown);
    }

    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already closed: nothing to cut.
        }
    }

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (!_client.IsUsable)
        {
            return;
        }
        try
        {
            await _client.QuitAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is SmtpProtocolException or IOException or SocketException)
        {
            // The peer left first; the session is over either way.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        _socket.Dispose();
    }

    private static SmtpEnvelope ToEnvelope(DeliveryJob job)
    {
        var message = job.Message;
        var sender = new ReversePath(message.Sender.Length == 0 ? null : ToMailbox(message.Sender));
        var recipients = job.Recipients.Select(r => new Recipient(ToMailbox(r.Address), new RcptParameters(r.Recipient.Notify, r.Recipient.OriginalRecipient))).ToArray();
        var parameters = new MailParameters(
            message.Size,
            message.EightBitMime ? BodyType.EightBitMime : BodyType.SevenBit,
            message.SmtpUtf8,
            message.Return,
            message.EnvelopeId);
        return new SmtpEnvelope(sender, recipients, parameters);
    }

    // Stored addresses were parsed at ingress; the domain follows the last '@' (a quoted local part may hold one).
    private static Mailbox ToMailbox(string address)
    {
        var at = address.LastIndexOf('@');
        return new Mailbox(address[..at], address[(at + 1)..]);
    }
}
