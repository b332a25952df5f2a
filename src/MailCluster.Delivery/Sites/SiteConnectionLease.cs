namespace MailCluster.Delivery.Sites;

/// <summary>One connection slot of a site; disposing it (after the socket closed) returns it, once however often it is disposed.</summary>
/// <param name="lapsed">Cancelled when the silo's lease of the site ran out unrenewed: cut the connection.</param>
internal sealed class SiteConnectionLease(SiteConnectionSlots slots, CancellationToken lapsed) : IDisposable
{
    private int _released;

    public CancellationToken Lapsed => lapsed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            slots.Release();
        }
    }
}
