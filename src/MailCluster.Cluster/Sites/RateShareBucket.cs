namespace MailCluster.Cluster.Sites;

/// <summary>
/// A silo's side of a <see cref="RateShare"/>: starts with the share's tokens, accrues at its rate
/// up to its burst, and ends at the silo's own expiry (timed from when it sent its report).
/// </summary>
internal sealed class RateShareBucket
{
    /// <summary>Tokens pass through many shares (each report gives back what is left): rounding must not lose the last one.</summary>
    private const double Rounding = 1e-9;

    private readonly RateShare _share;
    private readonly DateTimeOffset _until;
    private double _tokens;
    private DateTimeOffset _at;

    public RateShareBucket(RateShare share, DateTimeOffset from, DateTimeOffset until)
    {
        _share = share;
        _tokens = share.Tokens;
        _at = from;
        _until = until;
    }

    /// <summary>Takes one token if there is one; otherwise false and how long until one accrues (null: not within this share).</summary>
    public bool TryTake(DateTimeOffset now, out TimeSpan? wait)
    {
        Accrue(now);
        if (now < _until && _tokens >= 1 - Rounding)
        {
            _tokens = Math.Max(0, _tokens - 1);
            wait = TimeSpan.Zero;
            return true;
        }
        var needed = _share.PerSecond > 0 ? TimeSpan.FromSeconds((1 - _tokens) / _share.PerSecond) : TimeSpan.MaxValue;
        wait = now < _until && needed < _until - now ? needed : null;
        return false;
    }

    /// <summary>What is left to give back with the next report; the bucket is empty afterwards.</summary>
    public double GiveBack(DateTimeOffset now)
    {
        Accrue(now);
        var left = now < _until ? _tokens : 0;
        _tokens = 0;
        return left;
    }

    private void Accrue(DateTimeOffset now)
    {
        var end = now < _until ? now : _until;
        if (end > _at)
        {
            _tokens = Math.Min(_share.Burst, _tokens + (_share.PerSecond * (end - _at).TotalSeconds));
            _at = end;
        }
    }
}
