namespace MailCluster.Spool;

/// <summary>
/// The spool could not commit (I/O error, database unreachable or locked). Nothing of the write
/// was stored. Ingress answers 451 4.3.0 so the client keeps the message and retries.
/// </summary>
public class SpoolUnavailableException : Exception
{
    public SpoolUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>
/// The spool is out of space (disk full or its configured size cap reached). Nothing of the write
/// was stored. Ingress answers 452 4.3.1; the condition clears as delivery frees space.
/// </summary>
public sealed class SpoolFullException : SpoolUnavailableException
{
    public SpoolFullException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
