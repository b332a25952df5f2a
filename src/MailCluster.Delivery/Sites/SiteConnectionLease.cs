namespace MailCluster.Delivery.Sites;

/// <summary>One connection slot of a site; disposing it (after the socket closed) returns it, once however often it is disposed.</summary>
internal sealed class SiteConnectionLease(SiteConnectionSlots slots) : IDisposable
{
    private int _released;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            slots.Release();
        }
    }
}
