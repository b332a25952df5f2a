using System.Text;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Mime.Headers;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// The egress pool a message leaves through, chosen at DATA before it is signed: its submission
/// user's (a field of the credentials line), else a trusted client's pool header
/// (<c>Egress:PoolHeader</c>), else none, which is the default pool at send time. Every pool field
/// is taken out of every message, whoever sent it: it is never signed or sent on. A name that is no
/// configured pool is refused, never remapped.
/// </summary>
internal sealed class PoolChoice(EgressPoolNames pools, RelayPolicy relay, SubmissionUsers users, IngressMetrics metrics)
{
    private readonly byte[] _header = Encoding.ASCII.GetBytes(pools.Header);

    /// <summary>
    /// True with the content to sign and spool (without pool fields; the body itself when it has
    /// none) and the pool's configured name, or null for the default; false with the refusal (counted).
    /// </summary>
    public bool TryChoose(SmtpSessionInfo session, MessageContent body, out MessageContent content, out string? pool, out SmtpReply refusal)
    {
        (pool, refusal) = (null, default);
        // One pass over the header octets; a message without the field costs no allocation and no copy.
        var fields = HeaderFieldScanner.Find(body, _header);
        content = fields.Count == 0 ? body : body.Without(Ranges(fields));
        string named;
        if (session.AuthenticatedUser is { } user && users.Find(user)?.Pool is { } own)
        {
            named = own;
        }
        else if (fields.Count > 0 && relay.IsTrusted(session.Remote.Address))
        {
            // Only a client inside the relay networks is trusted for the header; an authenticated user
            // outside them is not: the pool is its credentials line's to set.
            named = fields[0].Value;
            for (var i = 1; i < fields.Count; i++)
            {
                if (!string.Equals(fields[i].Value, named, StringComparison.OrdinalIgnoreCase))
                {
                    return Refused(SmtpReplies.ConflictingPools(pools.Header), out refusal);
                }
            }
        }
        else
        {
            return true;
        }
        pool = pools.Canonical(named);
        return pool is not null || Refused(SmtpReplies.PoolNotConfigured(named), out refusal);
    }

    private static (long Start, long End)[] Ranges(IReadOnlyList<HeaderFieldOccurrence> fields)
    {
        var ranges = new (long Start, long End)[fields.Count];
        for (var i = 0; i < ranges.Length; i++)
        {
            ranges[i] = (fields[i].Start, fields[i].End);
        }
        return ranges;
    }

    private bool Refused(SmtpReply reply, out SmtpReply refusal)
    {
        metrics.Rejected(reply.Code);
        refusal = reply;
        return false;
    }
}
