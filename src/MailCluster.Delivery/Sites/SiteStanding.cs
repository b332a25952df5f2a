namespace MailCluster.Delivery.Sites;

/// <summary>
/// A domain's view of its site's grant: <see cref="Suspended"/> is null until the first grant;
/// <see cref="Granted"/> is 0 once the lease ran out unrenewed; <see cref="CappedUntil"/> is when a
/// warming source's spent cap renews (<see cref="DateTimeOffset.MinValue"/>: it is not capped).
/// </summary>
internal readonly record struct SiteStanding(bool? Suspended, DateTimeOffset PausedUntil, int Granted, int Held, DateTimeOffset CappedUntil = default)
{
    /// <summary>Until when no transaction starts here: a pause, or a warm-up cap reached.</summary>
    public DateTimeOffset HeldBackUntil => PausedUntil > CappedUntil ? PausedUntil : CappedUntil;

    /// <summary>This silo holds more connections than granted: idle ones close.</summary>
    public bool OverGrant => Held > Granted;
}
