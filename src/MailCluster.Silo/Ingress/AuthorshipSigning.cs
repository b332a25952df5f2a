using System.Buffers;
using MailCluster.Mime.Dkim;
using MailCluster.Mime.Headers;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;

namespace MailCluster.Silo.Ingress;

/// <summary>
/// The message's authors checked against who sent it, then its DKIM signature: both read the
/// same raw From: and Sender: fields, so a signature is only ever made for the domain checked.
/// </summary>
internal sealed class AuthorshipSigning(MessageSigner signer, DkimOptions dkim, SubmissionUsers users, IngressMetrics metrics)
{
    /// <summary>
    /// The content to spool: the message with its DKIM-Signature fields before it, computed once
    /// here, so retries never re-sign and what is sent is what was signed. False with the refusal
    /// (counted) when the authors are wrong, or the message is unsigned but signing is required.
    /// </summary>
    public bool TrySign(SmtpSessionInfo session, MessageContent body, out SpoolContent content, out SmtpReply refusal)
    {
        (content, refusal) = (default, default);
        // One reader for the checks and the signature: a large message is read from its file, never loaded.
        using var reader = body.OpenRead();
        // Parsed only where someone vouches for the author (an authenticated user, a signature);
        // otherwise only the From: fields are counted, in one pass over the header octets.
        var authors = session.AuthenticatedUser is not null || signer.HasKeys ? AuthorFields.Read(reader) : AuthorFields.CountFrom(reader);
        if (authors.FromFieldCount > 1)
        {
            return Rejected(SmtpReplies.MoreThanOneFrom, out refusal);
        }
        if (session.AuthenticatedUser is { } name && (users.Find(name) is not { } user || !AuthorsAllowed(user, authors)))
        {
            return Rejected(SmtpReplies.SenderNotAllowed, out refusal);
        }
        if (signer.HasKeys)
        {
            var signature = signer.Sign(reader, authors);
            if (signature.Outcome == DkimOutcome.WithSignature)
            {
                metrics.Dkim("signed");
                content = new SpoolContent(new ReadOnlySequence<byte>(signature.HeaderFields), body);
                return true;
            }
            metrics.Dkim(dkim.Required ? "refused" : "unsigned");
            if (dkim.Required)
            {
                return Rejected(SmtpReplies.UnsignedRefused, out refusal);
            }
        }
        content = new SpoolContent(ReadOnlySequence<byte>.Empty, body);
        return true;
    }

    /// <summary>
    /// Every From: and Sender: mailbox is in one of the user's domains (RFC 5322 3.6.2), read from
    /// the raw fields as the signer and receivers read them; a message without one is refused.
    /// </summary>
    private static bool AuthorsAllowed(SubmissionUser allowed, AuthorFields authors) =>
        authors.HasOneFromField && authors.Domains.All(allowed.MaySendAs);

    private bool Rejected(SmtpReply reply, out SmtpReply refusal)
    {
        metrics.Rejected(reply.Code);
        refusal = reply;
        return false;
    }
}
