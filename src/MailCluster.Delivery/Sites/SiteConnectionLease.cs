namespace MailCluster.Delivery.Sites;

/// <summary>
/// One connection slot of a site; disposing it (after the socket closed) returns it, once however
/// often it is disposed. <see cref="Cut"/> fires when the site's lease lapsed and its grace ran out:
/// the connection must close at once, even mid-transaction.
/// </summary>
internal sealed class SiteConnectionLease(SiteConnectionSlots slots, CancellationToken cut) : IDisposable
{
    private int _released;

    public CancellationToken Cut => cut;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            slots.Release();
        }
    }
}
