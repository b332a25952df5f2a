using System.Buffers;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Client;

/// <summary>
/// One mail transaction on a connection (RFC 5321 3.3): guards, MAIL FROM, RCPT TO for each
/// recipient, then DATA or BDAT, with per-recipient results. With PIPELINING the envelope goes in
/// one write and the replies are read in order (RFC 2920 3.1); without it, one command at a time.
/// </summary>
internal sealed class SmtpClientTransaction
{
    private readonly SmtpClientConnection _connection;
    private readonly SmtpEnvelope _envelope;
    private readonly ReadOnlySequence<byte> _content;
    private readonly SmtpClientTimeouts _timeouts;

    public SmtpClientTransaction(SmtpClientConnection connection, SmtpEnvelope envelope, ReadOnlySequence<byte> content)
    {
        _connection = connection;
        _envelope = envelope;
        _content = content;
        _timeouts = connection.Options.Timeouts;
    }

    public async ValueTask<SmtpTransactionResult> RunAsync(CancellationToken cancellationToken)
    {
        var peer = _connection.Extensions;
        var facts = OutboundContent.Measure(_content);
        if (TransactionGuard.Check(_envelope, facts, peer) is { } refusal)
        {
            return SmtpTransactionResult.AllGet(_envelope, refusal);
        }
        var chunking = _connection.Options.UseChunking && peer.Has(SmtpExtension.Chunking);
        var envelope = peer.Has(SmtpExtension.Pipelining)
            ? await PipelinedEnvelopeAsync(facts, peer, chunking, cancellationToken)
            : await SequentialEnvelopeAsync(facts, peer, chunking, cancellationToken);

        var accepted = envelope.Rcpt.Count(r => r.IsPositive);
        if (!envelope.Mail.IsPositive || accepted == 0 || envelope.Data is { Code: not 354 })
        {
            return await AbandonAsync(envelope, cancellationToken);
        }
        var (final, unknown) = await SendContentAsync(facts, chunking, cancellationToken);
        var results = _envelope.Recipients
            .Select((r, i) => envelope.Rcpt[i].IsPositive
                ? new SmtpRecipientResult(r, final, SmtpPhase.EndOfData)
                : new SmtpRecipientResult(r, envelope.Rcpt[i], SmtpPhase.Rcpt))
            .ToList();
        return new SmtpTransactionResult(results, ContentSent: true, unknown);
    }

    private async ValueTask<EnvelopeReplies> PipelinedEnvelopeAsync(ContentFacts facts, SmtpExtensions peer, bool chunking, CancellationToken cancellationToken)
    {
        _connection.WriteLine(CommandLines.MailFrom(_envelope, facts, peer));
        foreach (var recipient in _envelope.Recipients)
        {
            _connection.WriteLine(CommandLines.RcptTo(recipient, peer));
        }
        if (!chunking)
        {
            _connection.WriteLine("DATA");
        }
        await _connection.FlushAsync(_timeouts.MailFrom, "MAIL FROM", cancellationToken);
        // RFC 2920 3.1: check every reply of the group, in order, even after a refusal.
        var mail = await _connection.ReadReplyAsync(_timeouts.MailFrom, "MAIL FROM", cancellationToken);
        var rcpt = new List<SmtpReply>(_envelope.Recipients.Count);
        foreach (var _ in _envelope.Recipients)
        {
            rcpt.Add(await _connection.ReadReplyAsync(_timeouts.RcptTo, "RCPT TO", cancellationToken));
        }
        SmtpReply? data = chunking ? null : await _connection.ReadReplyAsync(_timeouts.DataInitiation, "DATA", cancellationToken);
        return new EnvelopeReplies(mail, rcpt, data);
    }

    private async ValueTask<EnvelopeReplies> SequentialEnvelopeAsync(ContentFacts facts, SmtpExtensions peer, bool chunking, CancellationToken cancellationToken)
    {
        var mail = await _connection.CommandAsync(CommandLines.MailFrom(_envelope, facts, peer), _timeouts.MailFrom, "MAIL FROM", cancellationToken);
        var rcpt = new List<SmtpReply>(_envelope.Recipients.Count);
        if (!mail.IsPositive)
        {
            return new EnvelopeReplies(mail, rcpt, null);
        }
        foreach (var recipient in _envelope.Recipients)
        {
            rcpt.Add(await _connection.CommandAsync(CommandLines.RcptTo(recipient, peer), _timeouts.RcptTo, "RCPT TO", cancellationToken));
        }
        SmtpReply? data = chunking || !rcpt.Any(r => r.IsPositive)
            ? null
            : await _connection.CommandAsync("DATA", _timeouts.DataInitiation, "DATA", cancellationToken);
        return new EnvelopeReplies(mail, rcpt, data);
    }

    /// <summary>Ends a transaction that will carry no content, and gives each recipient the reply that stopped it.</summary>
    private async ValueTask<SmtpTransactionResult> AbandonAsync(EnvelopeReplies envelope, CancellationToken cancellationToken)
    {
        if (envelope.Data is { Code: 354 })
        {
            // RFC 2920 3.1: DATA was accepted although no recipient was; end it with an empty message.
            _connection.WriteLine(".");
            await _connection.FlushAsync(_timeouts.DataBlock, "end of data", cancellationToken);
            await _connection.ReadReplyAsync(_timeouts.DataTermination, "end of data", cancellationToken);
        }
        else if (envelope.Mail.IsPositive)
        {
            // RFC 5321 4.1.1.5: clear the open transaction so the connection can be reused.
            await _connection.ResetAsync(cancellationToken);
        }
        var results = _envelope.Recipients.Select((r, i) => Decisive(r, envelope, i)).ToList();
        return new SmtpTransactionResult(results, ContentSent: false, null);
    }

    private static SmtpRecipientResult Decisive(Recipient recipient, EnvelopeReplies envelope, int index) =>
        !envelope.Mail.IsPositive ? new(recipient, envelope.Mail, SmtpPhase.Mail)
        : !envelope.Rcpt[index].IsPositive ? new(recipient, envelope.Rcpt[index], SmtpPhase.Rcpt)
        : envelope.Data is { } data ? new(recipient, data, SmtpPhase.Data)
        : new(recipient, envelope.Rcpt[index], SmtpPhase.Rcpt);

    /// <summary>
    /// Streams the content after 354 (dot-stuffed) or after <c>BDAT n LAST</c> (RFC 3030 2, exact
    /// length). Once the end of the content is on its way, a failure no longer means "not
    /// delivered": it is returned as the unknown-outcome cause (RFC 5321 6.1).
    /// </summary>
    private async ValueTask<(SmtpReply? Final, SmtpProtocolException? Unknown)> SendContentAsync(ContentFacts facts, bool chunking, CancellationToken cancellationToken)
    {
        if (chunking)
        {
            _connection.WriteLine($"BDAT {facts.Size} LAST");
        }
        await OutboundContent.WriteAsync(
            _content,
            dotStuff: !chunking,
            _connection.Output,
            () => _connection.FlushAsync(_timeouts.DataBlock, "message content", cancellationToken));
        try
        {
            await _connection.FlushAsync(_timeouts.DataBlock, "end of data", cancellationToken);
            return (await _connection.ReadReplyAsync(_timeouts.DataTermination, "end of data", cancellationToken), null);
        }
        catch (SmtpProtocolException e)
        {
            return (null, e);
        }
    }

    /// <param name="Data">The reply to DATA; null with BDAT or when DATA was not sent.</param>
    private sealed record EnvelopeReplies(SmtpReply Mail, List<SmtpReply> Rcpt, SmtpReply? Data);
}
