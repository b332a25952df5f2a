using System.Buffers;
using System.Text;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>
/// One SMTP server session: read, parse, check the state table, execute, write. Pipelined
/// commands are taken from one buffer and answered in order; replies are flushed when the
/// session needs more input (RFC 2920 3.2). The handlers (<see cref="SmtpCommandHandlers"/>,
/// <see cref="MailTransactionHandlers"/>, <see cref="SaslExchange"/>) return a
/// <see cref="CommandOutcome"/>; this loop writes its reply and takes its step.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "RunAsync owns the session's lifetime and disposes the transaction's buffer when it ends.")]
public sealed class SmtpServerSession
{
    private readonly ISmtpConnection _connection;
    private readonly SmtpServerLimits _limits;
    private readonly SessionHeartbeat _heartbeat;
    private readonly SessionClock _clock;
    private readonly MailTransactionHandlers _transactions;
    private readonly SmtpCommandHandlers _commands;
    private readonly SaslExchange _sasl;

    private SmtpState _state = SmtpState.Initial;
    private bool _discardingLongLine;
    private int _badCommands;
    private bool _closing;
    private volatile bool _draining;

    public SmtpServerSession(ISmtpConnection connection, ISmtpSessionHost host, SmtpSessionInfo info, SmtpServerLimits limits, SessionHeartbeat heartbeat, TimeProvider time)
    {
        _connection = connection;
        Info = info;
        _limits = limits;
        _heartbeat = heartbeat;
        _clock = new SessionClock(time, limits.IdleTimeout, limits.MaxSessionDuration);
        _transactions = new MailTransactionHandlers(info, host, limits);
        _commands = new SmtpCommandHandlers(info, connection, limits, _transactions);
        _sasl = new SaslExchange(info, host);
    }

    public SmtpSessionInfo Info { get; }

    /// <summary>Runs the session until QUIT, a fatal error reply, idle timeout or the peer closing.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _clock.Start();
        _heartbeat.Register(this);
        try
        {
            if (Info.ImplicitTls)
            {
                // RFC 8314 3.3: TLS first, then the greeting.
                Info.TlsProtocol = await _connection.UpgradeToTlsAsync(cancellationToken);
            }
            Write(new SmtpReply(220, null, $"{Info.ServerName} ESMTP MailCluster"));
            while (!_closing)
            {
                if (_draining && AtTransactionBoundary)
                {
                    // Shutdown: between transactions the client is told to come back (RFC 5321 3.8).
                    Write(SmtpReplies.ShuttingDown);
                    break;
                }
                await _connection.Output.FlushAsync(cancellationToken);
                _clock.MarkActive();
                var input = _connection.Input;
                var result = await input.ReadAsync(cancellationToken);
                if (_clock.Expiry is { } expiry)
                {
                    Write(expiry);
                    break;
                }
                if (result.IsCanceled)
                {
                    // Woken to drain: keep what was read and look at the drain state again.
                    input.AdvanceTo(result.Buffer.Start);
                    continue;
                }
                _clock.MarkActive();
                var buffer = result.Buffer;
                var step = SessionStep.Continue;
                while (!_closing && step != SessionStep.NeedInput)
                {
                    step = Advance(ref buffer);
                    if (step == SessionStep.Commit)
                    {
                        Apply(await _transactions.CommitAsync(cancellationToken));
                    }
                    else if (step == SessionStep.Authenticate)
                    {
                        Apply(await _sasl.AuthenticateAsync(cancellationToken));
                    }
                    else if (step == SessionStep.StartTls)
                    {
                        // RFC 3207 4.2 / CVE-2011-0411: anything pipelined behind STARTTLS is discarded.
                        input.AdvanceTo(result.Buffer.End);
                        await _connection.Output.FlushAsync(cancellationToken);
                        Info.TlsProtocol = await _connection.UpgradeToTlsAsync(cancellationToken);
                        break;
                    }
                }
                if (step == SessionStep.StartTls)
                {
                    continue;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
            if (_clock.Expiry is not null)
            {
                // The 421 is handed to the transport, but a client that does not read is not waited for.
                _connection.Output.CancelPendingFlush();
            }
            await _connection.Output.FlushAsync(cancellationToken);
        }
        finally
        {
            _heartbeat.Unregister(this);
            _transactions.Dispose();
        }
    }

    /// <summary>
    /// Called by the heartbeat: times the session out when no input came for
    /// <see cref="SmtpServerLimits.IdleTimeout"/>, or when it has lasted <see cref="SmtpServerLimits.MaxSessionDuration"/>.
    /// </summary>
    internal void CheckTime(long now)
    {
        if (_clock.Expire(now))
        {
            _connection.Input.CancelPendingRead();
            // A client that stopped reading its replies holds the session in a flush: release it too.
            _connection.Output.CancelPendingFlush();
        }
    }

    /// <summary>Called by the heartbeat at shutdown: the session ends at its next transaction boundary.</summary>
    internal void Drain()
    {
        _draining = true;
        _connection.Input.CancelPendingRead();
    }

    /// <summary>No transaction, and no content, AUTH answer or over-long line on its way: where a draining session may end.</summary>
    private bool AtTransactionBoundary =>
        _transactions.Current is null && !_transactions.ReceivingContent && !_sasl.AwaitsResponse && !_discardingLongLine;

    private SessionStep Advance(ref ReadOnlySequence<byte> buffer)
    {
        if (_discardingLongLine)
        {
            if (!SmtpLineReader.SkipPastLineFeed(ref buffer))
            {
                return SessionStep.NeedInput;
            }
            _discardingLongLine = false;
            Write(SmtpReplies.CommandLineTooLong);
            return SessionStep.Continue;
        }
        if (_transactions.ReceivingContent)
        {
            return Apply(_transactions.ReadContent(ref buffer, _state));
        }
        var saslResponse = _sasl.AwaitsResponse;
        switch (SmtpLineReader.TryReadLine(ref buffer, saslResponse ? SaslExchange.MaxResponseLength : _limits.MaxCommandLineLength, out var line))
        {
            case LineRead.Incomplete:
                return SessionStep.NeedInput;
            case LineRead.TooLong:
                // The rest of the line is skipped and answered as too long; an AUTH exchange it answered is over.
                _sasl.End();
                _discardingLongLine = true;
                return SessionStep.Continue;
            case LineRead.BareLineFeed:
                return Apply(saslResponse ? _sasl.Refuse(SmtpReplies.AuthBadEncoding) : new CommandOutcome(SmtpReplies.BareLineFeedInCommand));
        }
        if (saslResponse)
        {
            return Apply(_sasl.Answer(Encoding.ASCII.GetString(line)));
        }
        var span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        if (!SmtpCommandParser.TryParse(span, out var command, out var error))
        {
            Write(error);
            return SessionStep.Continue;
        }
        return Execute(command, buffer.IsEmpty);
    }

    private SessionStep Execute(SmtpCommand command, bool lastInBuffer)
    {
        if (!lastInBuffer && command.Verb != SmtpVerb.StartTls && command.Verb != SmtpVerb.Bdat
            && (SmtpStateTable.MustEndPipelineGroup(command.Verb) || !Info.IsExtended))
        {
            // RFC 2920 3.1: input behind a group-ending command (or any pipelining without EHLO) is a
            // client that does not wait for replies; for DATA it is content sent before 354.
            Write(SmtpReplies.SynchronizationError);
            _closing = true;
            return SessionStep.Continue;
        }
        return Apply(command.Verb switch
        {
            // BDAT's chunk is read even when the command is refused, and AUTH refuses in RFC 4954's order: both check the table themselves.
            SmtpVerb.Bdat => _transactions.Bdat(command.Argument, _state),
            SmtpVerb.Auth => _sasl.Begin(command.Argument, _state),
            _ when !SmtpStateTable.IsAllowed(_state, command.Verb) => new CommandOutcome(SmtpReplies.BadSequence),
            SmtpVerb.Mail => _transactions.Mail(command.Argument),
            SmtpVerb.Rcpt => _transactions.Rcpt(command.Argument),
            SmtpVerb.Data => _transactions.Data(command.Argument),
            _ => _commands.Execute(command),
        });
    }

    private SessionStep Apply(CommandOutcome outcome)
    {
        if (outcome.Reply is { } reply)
        {
            Write(reply);
        }
        _state = outcome.Next ?? _state;
        _closing |= outcome.Closes;
        return outcome.Step;
    }

    private void Write(SmtpReply reply)
    {
        reply.WriteTo(_connection.Output);
        // Count syntax and sequence errors; past the limit the session ends (like smtpd_hard_error_limit).
        if (reply.Code is (>= 500 and <= 504) or 555 && ++_badCommands > _limits.MaxBadCommands && !_closing)
        {
            SmtpReplies.TooManyBadCommands.WriteTo(_connection.Output);
            _closing = true;
        }
    }
}
