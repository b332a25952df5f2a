using System.Net;
using MailCluster.Cluster.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using Microsoft.Extensions.Logging;

namespace MailCluster.Silo.Ingress.Submission;

/// <summary>
/// Checks AUTH credentials (RFC 4954) under the lockout rules: the attempt is counted against the
/// client's network and the target user before the password is hashed (so parallel connections
/// get no more guesses than serial ones), a success forgives only itself, and at most a bounded
/// number of password checks run at once (each costs about 0.2 CPU-seconds).
/// </summary>
internal sealed class Authenticator(SubmissionUsers users, AuthFailures failures, AuthCheckGate gate, IngressMetrics metrics, TimeProvider time, ILogger<Authenticator> logger)
{
    public async ValueTask<AuthVerdict> AuthenticateAsync(IPEndPoint remote, string typed, string password, CancellationToken cancellationToken)
    {
        var name = SubmissionUsers.Canonical(typed);
        if (failures.Begin(remote.Address, name) is not { } attempt)
        {
            var blocked = failures.IsClientBlocked(remote.Address) ? SmtpReplies.AuthBlocked : SmtpReplies.AuthUserLocked;
            metrics.Auth("blocked");
            Log.AuthenticationRefused(logger, remote, LogText.Quote(name), blocked.Text);
            return AuthVerdict.Refused(blocked);
        }
        using var slot = gate.TryEnter();
        if (slot is null)
        {
            // Not a guess: the password was never checked.
            attempt.Withdraw();
            metrics.Auth("busy");
            return AuthVerdict.Refused(SmtpReplies.AuthBusy);
        }
        if (users.Verify(name, password) is { } user)
        {
            attempt.Withdraw();
            metrics.Auth("succeeded");
            Log.Authenticated(logger, remote, LogText.Quote(user.Name));
            return AuthVerdict.Succeeded(user.Name);
        }
        metrics.Auth("failed");
        // The same answer for an unknown user and a wrong password, later each time.
        await Task.Delay(attempt.AnswerDelay, time, cancellationToken);
        Log.AuthenticationFailed(logger, remote, LogText.Quote(name));
        return AuthVerdict.Refused(failures.IsClientBlocked(remote.Address) ? SmtpReplies.AuthBlocked : SmtpReplies.AuthFailed);
    }
}
