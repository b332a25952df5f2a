using System.Buffers;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>
/// The mail transaction (RFC 5321 3.3): MAIL and RCPT build the envelope, DATA or BDAT bring the
/// content, and the host commits it. Owns the transaction in progress and its content buffer.
/// </summary>
internal sealed class MailTransactionHandlers : IDisposable
{
    private enum Content
    {
        None,
        Data,
        BdatChunk,
    }

    private readonly SmtpSessionInfo _info;
    private readonly ISmtpSessionHost _host;
    private readonly SmtpServerLimits _limits;
    private readonly DataReader _dataReader;
    private readonly BdatReader _bdatReader = new();
    private readonly MessageBuffer _body;
    private Content _content;
    private SmtpReply? _chunkRefusal;

    public MailTransactionHandlers(SmtpSessionInfo info, ISmtpSessionHost host, SmtpServerLimits limits)
    {
        _info = info;
        _host = host;
        _limits = limits;
        _dataReader = new DataReader(limits.MaxLineLength, limits.MaxMessageSize);
        _body = new MessageBuffer(limits.MaxContentInMemory, limits.SpillDirectory.Length > 0 ? limits.SpillDirectory : null);
    }

    /// <summary>The transaction since the accepted MAIL, or null.</summary>
    public SmtpTransaction? Current { get; private set; }

    /// <summary>DATA content or a BDAT chunk is arriving: the input is content, not commands.</summary>
    public bool ReceivingContent => _content != Content.None;

    public CommandOutcome Mail(string argument)
    {
        if (!EnvelopeCommandParser.TryParseMail(argument, out var sender, out var parameters, out var error))
        {
            return new CommandOutcome(error);
        }
        // RFC 1870 6.1: refuse early when the declared size is over the limit.
        if (parameters.Size > _limits.MaxMessageSize)
        {
            return new CommandOutcome(SmtpReplies.MessageTooLarge);
        }
        // RFC 6409 4.3: submission is for authenticated users.
        if (_info.IsSubmission && _info.AuthenticatedUser is null)
        {
            return new CommandOutcome(SmtpReplies.AuthRequired);
        }
        var transaction = new SmtpTransaction(new ReversePath(sender), parameters);
        if (_host.AuthorizeSender(_info, transaction) is { } refusal)
        {
            transaction.Reservation?.Dispose();
            return new CommandOutcome(refusal);
        }
        Current = transaction;
        return new CommandOutcome(SmtpReplies.SenderOk, SmtpState.Mail);
    }

    public CommandOutcome Rcpt(string argument)
    {
        var transaction = Current!;
        if (!EnvelopeCommandParser.TryParseRcpt(argument, out var recipient, out var parameters, out var error))
        {
            return new CommandOutcome(error);
        }
        // RFC 6531 3.4: a non-ASCII recipient needs SMTPUTF8 on the transaction's MAIL.
        if (recipient.IsInternational && !transaction.Parameters.SmtpUtf8)
        {
            return new CommandOutcome(SmtpReplies.NonAsciiAddressWithoutSmtpUtf8);
        }
        // RFC 5321 4.5.3.1.10: 452 for too many recipients, so the client retries the rest later.
        if (transaction.Recipients.Count >= _limits.MaxRecipientsPerMessage)
        {
            return new CommandOutcome(SmtpReplies.TooManyRecipients);
        }
        if (_host.AuthorizeRecipient(_info, transaction, recipient) is { } refusal)
        {
            return new CommandOutcome(refusal);
        }
        transaction.Add(new Recipient(recipient, parameters));
        return new CommandOutcome(SmtpReplies.RecipientOk, SmtpState.Rcpt);
    }

    public CommandOutcome Data(string argument)
    {
        if (argument.Length > 0)
        {
            return new CommandOutcome(SmtpReplies.SyntaxError);
        }
        BeginContent();
        _dataReader.Reset(_body.Length);
        _content = Content.Data;
        return new CommandOutcome(SmtpReplies.StartMailInput);
    }

    /// <summary>RFC 3030 2: <c>BDAT chunk-size [LAST]</c>. The chunk is always read, even when the command is refused.</summary>
    public CommandOutcome Bdat(string argument, SmtpState state)
    {
        if (!BdatReader.TryParse(argument, out var size, out var last))
        {
            // Without a size the chunk cannot be skipped; the client's next bytes will read as bad commands.
            return new CommandOutcome(SmtpReplies.SyntaxError);
        }
        _bdatReader.Start(size, last);
        _content = Content.BdatChunk;
        _chunkRefusal = null;
        if (!SmtpStateTable.IsAllowed(state, SmtpVerb.Bdat))
        {
            _chunkRefusal = SmtpReplies.BadSequence;
            return new CommandOutcome(null);
        }
        if (state == SmtpState.Rcpt)
        {
            BeginContent();
        }
        if (_body.Length + size > _limits.MaxMessageSize)
        {
            _chunkRefusal = SmtpReplies.MessageTooLarge;
        }
        return new CommandOutcome(null, SmtpState.Bdat);
    }

    /// <summary>Takes DATA content or the current BDAT chunk from <paramref name="buffer"/>.</summary>
    public CommandOutcome ReadContent(ref ReadOnlySequence<byte> buffer, SmtpState state)
    {
        if (_content == Content.Data)
        {
            return _dataReader.Read(ref buffer, _body) ? new CommandOutcome(null, Step: SessionStep.Commit) : CommandOutcome.NeedInput;
        }
        if (!_bdatReader.Read(ref buffer, _chunkRefusal is null ? _body : null))
        {
            return CommandOutcome.NeedInput;
        }
        if (_chunkRefusal is { } refusal)
        {
            if (refusal.Code == SmtpReplies.MessageTooLarge.Code)
            {
                _host.MessageRefused(_info, refusal);
            }
            _content = Content.None;
            // A refused chunk inside a message ends that message (RFC 3030 3); a chunk out of sequence changes nothing.
            return new CommandOutcome(refusal, state == SmtpState.Bdat ? End() : null);
        }
        if (_bdatReader.IsLast)
        {
            return new CommandOutcome(null, Step: SessionStep.Commit);
        }
        _content = Content.None;
        return new CommandOutcome(SmtpReplies.Ok.WithText($"{_body.Length} octets received"));
    }

    /// <summary>The content is complete: refused for what DATA found wrong with it, otherwise committed by the host. Either way the transaction ends.</summary>
    public async ValueTask<CommandOutcome> CommitAsync(CancellationToken cancellationToken)
    {
        var defects = _content == Content.Data ? _dataReader.Defects : DataDefects.None;
        SmtpReply? refusal = defects switch
        {
            _ when defects.HasFlag(DataDefects.BareLineEnding) => SmtpReplies.BareLineEndingInData,
            _ when defects.HasFlag(DataDefects.Nul) => SmtpReplies.NulInData,
            _ when defects.HasFlag(DataDefects.LineTooLong) => SmtpReplies.TextLineTooLong,
            _ when defects.HasFlag(DataDefects.TooLarge) => SmtpReplies.MessageTooLarge,
            _ => null,
        };
        if (refusal is { } refused)
        {
            _host.MessageRefused(_info, refused);
        }
        var reply = refusal ?? await _host.CommitAsync(_info, Current!, _body.AsContent(), cancellationToken);
        return new CommandOutcome(reply, End());
    }

    /// <summary>Ends the transaction and its content (RSET, a commit, a refused chunk); returns the state to go back to.</summary>
    public SmtpState End()
    {
        Drop();
        _body.Clear();
        _content = Content.None;
        return _info.HeloName is null ? SmtpState.Initial : SmtpState.Ready;
    }

    /// <summary>The one way a transaction ends: what the host reserved for it is released (kept if it committed).</summary>
    public void Drop()
    {
        Current?.Reservation?.Dispose();
        Current = null;
    }

    /// <summary>The session is over: the transaction is dropped, the buffer returned to the pool and its file deleted.</summary>
    public void Dispose()
    {
        Drop();
        _body.Dispose();
    }

    private void BeginContent()
    {
        _body.Clear();
        _host.BeginMessage(_info, Current!, _body);
    }
}
