namespace MailCluster.Delivery.Sites;

/// <summary>
/// The slots one connection holds: its (source, site)'s, and the site total's when a rule caps the
/// site across sources. Disposing it (after the socket closed) returns both.
/// </summary>
internal sealed class ConnectionSlot(SiteConnectionLease source, SiteConnectionLease? total) : IDisposable
{
    /// <summary>Runs <paramref name="cut"/> when either lease lapsed past its grace (<see cref="SiteConnectionLease.Cut"/>); dispose the result when the connection is done.</summary>
    public IDisposable OnCut(Action cut) => new Registrations(source.Cut.Register(cut), total?.Cut.Register(cut));

    public void Dispose()
    {
        source.Dispose();
        total?.Dispose();
    }

    private sealed class Registrations(CancellationTokenRegistration source, CancellationTokenRegistration? total) : IDisposable
    {
        public void Dispose()
        {
            source.Dispose();
            total?.Dispose();
        }
    }
}
