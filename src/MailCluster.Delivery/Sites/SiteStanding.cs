namespace MailCluster.Delivery.Sites;

/// <summary>
/// A domain's view of its site's grant: <see cref="Suspended"/> is null until the first grant;
/// <see cref="Granted"/> is 0 once the lease ran out unrenewed.
/// </summary>
internal readonly record struct SiteStanding(bool? Suspended, DateTimeOffset PausedUntil, int Granted, int Held)
{
    /// <summary>This silo holds more connections than granted: idle ones close.</summary>
    public bool OverGrant => Held > Granted;
}
