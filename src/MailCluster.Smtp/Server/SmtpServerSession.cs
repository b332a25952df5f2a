using System.Buffers;
using System.IO.Pipelines;
using MailCluster.Smtp.Parsing;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>
/// One SMTP server session: read, parse, check the state table, execute, write. Pipelined
/// commands are taken from one buffer and answered in order; replies are flushed when the
/// session needs more input (RFC 2920 3.2). The command handlers live in the other partial.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "RunAsync owns the session's lifetime and disposes the buffer when it ends.")]
public sealed partial class SmtpServerSession
{
    private enum Mode
    {
        Command,
        DiscardLongLine,
        Data,
        BdatChunk,
        AuthResponse,
    }

    /// <summary>Which time limit ended the session, if one did.</summary>
    private enum TimeLimit
    {
        None,
        Idle,
        Session,
    }

    /// <summary>What the synchronous step asks the async loop to do next.</summary>
    private enum Step
    {
        Continue,
        NeedInput,
        Commit,
        StartTls,
        Authenticate,
    }

    private readonly ISmtpConnection _connection;
    private readonly ISmtpSessionHost _host;
    private readonly SmtpServerLimits _limits;
    private readonly SessionHeartbeat _heartbeat;
    private readonly TimeProvider _time;
    private readonly DataReader _dataReader;
    private readonly MessageBuffer _body; // returned to the pool, its file deleted, when RunAsync ends

    private SmtpState _state = SmtpState.Initial;
    private SmtpTransaction? _transaction;
    private Mode _mode = Mode.Command;
    private int _badCommands;
    private bool _closing;
    private long _lastActivity;
    private long _started;
    private volatile TimeLimit _timedOut;
    private volatile bool _draining;

    public SmtpServerSession(ISmtpConnection connection, ISmtpSessionHost host, SmtpSessionInfo info, SmtpServerLimits limits, SessionHeartbeat heartbeat, TimeProvider time)
    {
        _connection = connection;
        _host = host;
        Info = info;
        _limits = limits;
        _heartbeat = heartbeat;
        _time = time;
        _dataReader = new DataReader(limits.MaxLineLength, limits.MaxMessageSize);
        _body = new MessageBuffer(limits.MaxContentInMemory, limits.SpillDirectory.Length > 0 ? limits.SpillDirectory : null);
    }

    public SmtpSessionInfo Info { get; }

    /// <summary>Runs the session until QUIT, a fatal error reply, idle timeout or the peer closing.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _started = _time.GetTimestamp();
        // Idle from the start: an implicit-TLS handshake comes before the first read, and the
        // heartbeat must not find a session that has never been active.
        _lastActivity = _started;
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
                if (_draining && _transaction is null && _mode == Mode.Command)
                {
                    // Shutdown: between transactions the client is told to come back (RFC 5321 3.8).
                    Write(SmtpReplies.ShuttingDown);
                    break;
                }
                await _connection.Output.FlushAsync(cancellationToken);
                _lastActivity = _time.GetTimestamp();
                var input = _connection.Input;
                var result = await input.ReadAsync(cancellationToken);
                if (_timedOut != TimeLimit.None)
                {
                    Write(_timedOut == TimeLimit.Idle ? SmtpReplies.IdleTimeout : SmtpReplies.SessionTooLong);
                    break;
                }
                if (result.IsCanceled)
                {
                    // Woken to drain: keep what was read and look at the drain state again.
                    input.AdvanceTo(result.Buffer.Start);
                    continue;
                }
                _lastActivity = _time.GetTimestamp();
                var buffer = result.Buffer;
                var step = Step.Continue;
                while (!_closing && step != Step.NeedInput)
                {
                    step = Advance(ref buffer);
                    if (step == Step.Commit)
                    {
                        await CommitAsync(cancellationToken);
                    }
                    else if (step == Step.Authenticate)
                    {
                        await AuthenticateAsync(cancellationToken);
                    }
                    else if (step == Step.StartTls)
                    {
                        // RFC 3207 4.2 / CVE-2011-0411: anything pipelined behind STARTTLS is discarded.
                        input.AdvanceTo(result.Buffer.End);
                        await _connection.Output.FlushAsync(cancellationToken);
                        Info.TlsProtocol = await _connection.UpgradeToTlsAsync(cancellationToken);
                        break;
                    }
                }
                if (step == Step.StartTls)
                {
                    continue;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
            if (_timedOut != TimeLimit.None)
            {
                // The 421 is handed to the transport, but a client that does not read is not waited for.
                _connection.Output.CancelPendingFlush();
            }
            await _connection.Output.FlushAsync(cancellationToken);
        }
        finally
        {
            _heartbeat.Unregister(this);
            DropTransaction();
            _body.Dispose();
        }
    }

    /// <summary>
    /// Called by the heartbeat: times the session out when no input came for
    /// <see cref="SmtpServerLimits.IdleTimeout"/>, or when it has lasted <see cref="SmtpServerLimits.MaxSessionDuration"/>.
    /// </summary>
    internal void CheckTime(long now)
    {
        if (_timedOut != TimeLimit.None)
        {
            return;
        }
        _timedOut = _time.GetElapsedTime(Volatile.Read(ref _lastActivity), now) > _limits.IdleTimeout ? TimeLimit.Idle
            : _time.GetElapsedTime(_started, now) > _limits.MaxSessionDuration ? TimeLimit.Session
            : TimeLimit.None;
        if (_timedOut != TimeLimit.None)
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

    private Step Advance(ref ReadOnlySequence<byte> buffer)
    {
        switch (_mode)
        {
            case Mode.Data:
                return _dataReader.Read(ref buffer, _body) ? Step.Commit : Step.NeedInput;
            case Mode.BdatChunk:
                return ReadBdatChunk(ref buffer);
            case Mode.AuthResponse:
                return ReadAuthResponse(ref buffer);
            case Mode.DiscardLongLine:
                if (!SmtpLineReader.SkipPastLineFeed(ref buffer))
                {
                    return Step.NeedInput;
                }
                _mode = Mode.Command;
                Write(SmtpReplies.CommandLineTooLong);
                return Step.Continue;
        }
        if (TakeLine(ref buffer, _limits.MaxCommandLineLength, static session => session.Refuse(SmtpReplies.BareLineFeedInCommand), out var line) is { } next)
        {
            return next;
        }
        var span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        if (!SmtpCommandParser.TryParse(span, out var command, out var error))
        {
            Write(error);
            return Step.Continue;
        }
        return Execute(command, ref buffer);
    }

    /// <summary>Takes one line; null when it did, else what the loop does next (wait for input, skip an over-long line, or the bare-LF answer).</summary>
    private Step? TakeLine(ref ReadOnlySequence<byte> buffer, int maxLength, Func<SmtpServerSession, Step> bareLineFeed, out ReadOnlySequence<byte> line)
    {
        switch (SmtpLineReader.TryReadLine(ref buffer, maxLength, out line))
        {
            case LineRead.Incomplete:
                return Step.NeedInput;
            case LineRead.TooLong:
                _mode = Mode.DiscardLongLine;
                return Step.Continue;
            case LineRead.BareLineFeed:
                return bareLineFeed(this);
            default:
                return null;
        }
    }

    private Step Execute(SmtpCommand command, ref ReadOnlySequence<byte> buffer)
    {
        if (!buffer.IsEmpty && command.Verb != SmtpVerb.StartTls && command.Verb != SmtpVerb.Bdat
            && (SmtpStateTable.MustEndPipelineGroup(command.Verb) || !Info.IsExtended))
        {
            // RFC 2920 3.1: input behind a group-ending command (or any pipelining without EHLO) is a
            // client that does not wait for replies; for DATA it is content sent before 354.
            Write(SmtpReplies.SynchronizationError);
            _closing = true;
            return Step.Continue;
        }
        if (command.Verb == SmtpVerb.Bdat)
        {
            return StartBdat(command.Argument);
        }
        if (command.Verb == SmtpVerb.Auth)
        {
            return StartAuth(command.Argument);
        }
        if (!SmtpStateTable.IsAllowed(_state, command.Verb))
        {
            Write(SmtpReplies.BadSequence);
            return Step.Continue;
        }
        var outcome = command.Verb switch
        {
            SmtpVerb.Ehlo => Ehlo(command.Argument, extended: true),
            SmtpVerb.Helo => Ehlo(command.Argument, extended: false),
            SmtpVerb.Mail => Mail(command.Argument),
            SmtpVerb.Rcpt => Rcpt(command.Argument),
            SmtpVerb.Data => Data(command.Argument),
            SmtpVerb.Rset => Rset(),
            SmtpVerb.Noop => new Outcome(SmtpReplies.Ok, _state),
            SmtpVerb.Vrfy => new Outcome(SmtpReplies.CannotVerify, _state),
            SmtpVerb.Expn => new Outcome(SmtpReplies.CommandNotImplemented, _state),
            SmtpVerb.Help => new Outcome(SmtpReplies.Help, _state),
            SmtpVerb.Quit => new Outcome(SmtpReplies.Closing, _state, Closes: true),
            SmtpVerb.StartTls => StartTls(command.Argument),
            _ => new Outcome(SmtpReplies.CommandUnrecognized, _state),
        };
        Write(outcome.Reply);
        _state = outcome.Next;
        _closing |= outcome.Closes;
        return outcome.Step;
    }

    private async ValueTask CommitAsync(CancellationToken cancellationToken)
    {
        var defects = _mode == Mode.Data ? _dataReader.Defects : DataDefects.None;
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
            _host.MessageRefused(Info, refused);
        }
        Write(refusal ?? await _host.CommitAsync(Info, _transaction!, _body.AsContent(), cancellationToken));
        EndTransaction();
    }

    private void EndTransaction()
    {
        DropTransaction();
        _body.Clear();
        _mode = Mode.Command;
        _state = Info.HeloName is null ? SmtpState.Initial : SmtpState.Ready;
    }

    /// <summary>The one way a transaction ends: what the host reserved for it is released (kept if it committed).</summary>
    private void DropTransaction()
    {
        _transaction?.Reservation?.Dispose();
        _transaction = null;
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

    private readonly record struct Outcome(SmtpReply Reply, SmtpState Next, bool Closes = false, Step Step = Step.Continue);
}
