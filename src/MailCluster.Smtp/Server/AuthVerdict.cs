using MailCluster.Smtp.Protocol;

namespace MailCluster.Smtp.Server;

/// <summary>The host's answer to AUTH: the reply, and on success the user's canonical name, which the session keeps (never the name as typed).</summary>
public readonly record struct AuthVerdict(SmtpReply Reply, string? User)
{
    public static AuthVerdict Refused(SmtpReply reply) => new(reply, null);

    public static AuthVerdict Succeeded(string user) => new(SmtpReplies.AuthSucceeded, user);
}
