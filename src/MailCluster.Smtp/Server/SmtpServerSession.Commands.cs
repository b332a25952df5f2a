using System.Buffers;
using System.Globalization;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>The command handlers: each returns a reply and the next state.</summary>
public sealed partial class SmtpServerSession
{
    private long _bdatRemaining;
    private bool _bdatLast;
    private SmtpReply? _bdatRefusal;

    private Outcome Ehlo(string argument, bool extended)
    {
        var name = argument.Trim();
        if (name.Length == 0 || name.Contains(' '))
        {
            return new Outcome(SmtpReplies.HeloNeedsDomain, _state);
        }
        // RFC 5321 4.1.4: EHLO in the middle of a session resets it like RSET.
        DropTransaction();
        Info.HeloName = name;
        Info.IsExtended = extended;
        var greeting = $"{Info.ServerName} greets {name}";
        if (!extended)
        {
            return new Outcome(new SmtpReply(250, null, greeting), SmtpState.Ready);
        }
        var lines = new List<string>
        {
            greeting,
            SmtpExtensions.KeywordOf(SmtpExtension.Pipelining),
            SmtpExtensions.KeywordOf(SmtpExtension.Size) + " " + _limits.MaxMessageSize.ToString(CultureInfo.InvariantCulture),
            SmtpExtensions.KeywordOf(SmtpExtension.EightBitMime),
            SmtpExtensions.KeywordOf(SmtpExtension.SmtpUtf8),
            SmtpExtensions.KeywordOf(SmtpExtension.EnhancedStatusCodes),
            SmtpExtensions.KeywordOf(SmtpExtension.Chunking),
            SmtpExtensions.KeywordOf(SmtpExtension.Dsn),
        };
        if (_connection.IsTlsAvailable)
        {
            lines.Add(SmtpExtensions.KeywordOf(SmtpExtension.StartTls));
        }
        // RFC 8314 / RFC 4954 4: credentials only over TLS, and only where submission is served.
        if (Info.IsSubmission && Info.TlsProtocol is not null && Info.AuthenticatedUser is null)
        {
            lines.Add("AUTH PLAIN LOGIN");
        }
        // RFC 2034 3: EHLO replies carry no enhanced codes.
        return new Outcome(new SmtpReply(250, null, string.Join('\n', lines)), SmtpState.Ready);
    }

    private Outcome Mail(string argument)
    {
        if (!TryStripPrefix(argument, "FROM:", out var text)
            || !PathParser.TryParsePath(text, allowNull: true, out var mailbox, out var rest)
            || !(rest.IsEmpty || rest[0] == ' '))
        {
            return new Outcome(SmtpReplies.BadSenderSyntax, _state);
        }
        if (!EsmtpParameterParser.TryParseMail(rest, out var parameters, out var error))
        {
            return new Outcome(error, _state);
        }
        if (mailbox is { IsInternational: true } && !parameters.SmtpUtf8)
        {
            return new Outcome(SmtpReplies.NonAsciiAddressWithoutSmtpUtf8, _state);
        }
        // RFC 1870 6.1: refuse early when the declared size is over the limit.
        if (parameters.Size > _limits.MaxMessageSize)
        {
            return new Outcome(SmtpReplies.MessageTooLarge, _state);
        }
        // RFC 6409 4.3: submission is for authenticated users.
        if (Info.IsSubmission && Info.AuthenticatedUser is null)
        {
            return new Outcome(SmtpReplies.AuthRequired, _state);
        }
        var transaction = new SmtpTransaction(new ReversePath(mailbox), parameters);
        if (_host.AuthorizeSender(Info, transaction) is { } refusal)
        {
            transaction.Reservation?.Dispose();
            return new Outcome(refusal, _state);
        }
        _transaction = transaction;
        return new Outcome(SmtpReplies.SenderOk, SmtpState.Mail);
    }

    private Outcome Rcpt(string argument)
    {
        var transaction = _transaction!;
        if (!TryStripPrefix(argument, "TO:", out var text)
            || !PathParser.TryParsePath(text, allowNull: false, out var mailbox, out var rest)
            || !(rest.IsEmpty || rest[0] == ' '))
        {
            return new Outcome(SmtpReplies.BadRecipientSyntax, _state);
        }
        if (!EsmtpParameterParser.TryParseRcpt(rest, out var parameters, out var error))
        {
            return new Outcome(error, _state);
        }
        if (mailbox!.IsInternational && !transaction.Parameters.SmtpUtf8)
        {
            return new Outcome(SmtpReplies.NonAsciiAddressWithoutSmtpUtf8, _state);
        }
        // RFC 5321 4.5.3.1.10: 452 for too many recipients, so the client retries the rest later.
        if (transaction.Recipients.Count >= _limits.MaxRecipientsPerMessage)
        {
            return new Outcome(SmtpReplies.TooManyRecipients, _state);
        }
        if (_host.AuthorizeRecipient(Info, mailbox, transaction.Recipients.Count) is { } refusal)
        {
            return new Outcome(refusal, _state);
        }
        transaction.Add(new Recipient(mailbox, parameters));
        return new Outcome(SmtpReplies.RecipientOk, SmtpState.Rcpt);
    }

    private Outcome Data(string argument)
    {
        if (argument.Length > 0)
        {
            return new Outcome(SmtpReplies.SyntaxError, _state);
        }
        BeginContent();
        _dataReader.Reset(_body.Length);
        _mode = Mode.Data;
        return new Outcome(SmtpReplies.StartMailInput, _state);
    }

    private Outcome Rset()
    {
        EndTransaction();
        return new Outcome(SmtpReplies.Ok, _state);
    }

    private Outcome StartTls(string argument)
    {
        if (argument.Length > 0)
        {
            return new Outcome(SmtpReplies.SyntaxError, _state);
        }
        if (!_connection.IsTlsAvailable)
        {
            return new Outcome(Info.TlsProtocol is null ? SmtpReplies.TlsNotAvailable : SmtpReplies.AlreadySecure, _state);
        }
        // RFC 3207 4.2: after the handshake the session starts over, EHLO included.
        Info.HeloName = null;
        Info.IsExtended = false;
        DropTransaction();
        return new Outcome(SmtpReplies.ReadyToStartTls, SmtpState.Initial, Step: Step.StartTls);
    }

    /// <summary>RFC 3030 2: <c>BDAT chunk-size [LAST]</c>. The chunk is always read, even when the command is refused.</summary>
    private Step StartBdat(string argument)
    {
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > 2 || parts[0].Length > 18 || !parts[0].All(char.IsAsciiDigit)
            || (parts.Length == 2 && !parts[1].Equals("LAST", StringComparison.OrdinalIgnoreCase)))
        {
            // Without a size the chunk cannot be skipped; the client's next bytes will read as bad commands.
            Write(SmtpReplies.SyntaxError);
            return Step.Continue;
        }
        _bdatRemaining = long.Parse(parts[0], CultureInfo.InvariantCulture);
        _bdatLast = parts.Length == 2;
        _bdatRefusal = null;
        if (!SmtpStateTable.IsAllowed(_state, SmtpVerb.Bdat))
        {
            _bdatRefusal = SmtpReplies.BadSequence;
        }
        else
        {
            if (_state == SmtpState.Rcpt)
            {
                BeginContent();
                _state = SmtpState.Bdat;
            }
            if (_body.Length + _bdatRemaining > _limits.MaxMessageSize)
            {
                _bdatRefusal = SmtpReplies.MessageTooLarge;
            }
        }
        _mode = Mode.BdatChunk;
        return Step.Continue;
    }

    private Step ReadBdatChunk(ref ReadOnlySequence<byte> buffer)
    {
        var take = Math.Min(_bdatRemaining, buffer.Length);
        if (_bdatRefusal is null)
        {
            foreach (var segment in buffer.Slice(0, take))
            {
                _body.Write(segment.Span);
            }
        }
        buffer = buffer.Slice(take);
        _bdatRemaining -= take;
        if (_bdatRemaining > 0)
        {
            return Step.NeedInput;
        }
        if (_bdatRefusal is { } refusal)
        {
            if (refusal.Code == SmtpReplies.MessageTooLarge.Code)
            {
                _host.MessageRefused(Info, refusal);
            }
            Write(refusal);
            // A refused chunk inside a message ends that message (RFC 3030 3); a chunk out of sequence changes nothing.
            if (_state == SmtpState.Bdat)
            {
                EndTransaction();
            }
            _mode = Mode.Command;
            return Step.Continue;
        }
        if (_bdatLast)
        {
            return Step.Commit;
        }
        _mode = Mode.Command;
        Write(SmtpReplies.Ok.WithText($"{_body.Length} octets received"));
        return Step.Continue;
    }

    private void BeginContent()
    {
        _body.Clear();
        _host.BeginMessage(Info, _transaction!, _body);
    }

    private static bool TryStripPrefix(string argument, string prefix, out ReadOnlySpan<char> rest)
    {
        rest = default;
        if (!argument.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        // Tolerate "MAIL FROM: <a@b>" as most MTAs do; RFC 5321 4.1.2 has no space there.
        rest = argument.AsSpan(prefix.Length).TrimStart(' ');
        return true;
    }
}
