using MailCluster.Cluster.Submission;
namespace MailCluster.Silo.Ingress.Submission;

/// <summary>
/// Bounds the password checks (PBKDF2) running at once on this silo, so that a flood of AUTH
/// attempts cannot take every core; an attempt beyond the bound is answered 454 4.7.0 at once
/// (RFC 4954 6: a temporary failure, the client may try again).
/// </summary>
internal sealed class AuthCheckGate(int concurrent)
{
    private int _running;

    /// <summary>A slot to dispose when the check is done, or null when all are taken.</summary>
    public IDisposable? TryEnter()
    {
        if (Interlocked.Increment(ref _running) > concurrent)
        {
            Interlocked.Decrement(ref _running);
            return null;
        }
        return new Slot(this);
    }

    private sealed class Slot(AuthCheckGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref gate._running);
            }
        }
    }
}
