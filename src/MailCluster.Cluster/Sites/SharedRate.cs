using MailCluster.Cluster.Shaping;

namespace MailCluster.Cluster.Sites;

/// <summary>
/// One site rate (messages, or new connections) split between silos as shares for a time slice.
/// The grain keeps the site's token bucket: its level refills only at the rate no silo holds, and
/// the tokens a share starts with come out of it. Tokens ever handed out thus stay within
/// <c>burst + rate × time</c>, however the shares move between silos.
/// </summary>
internal sealed class SharedRate
{
    private readonly ThrottleSpec _spec;
    private readonly Dictionary<string, (double PerSecond, DateTimeOffset Until)> _shares = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _wanting = new(StringComparer.Ordinal);
    private double _level;
    private DateTimeOffset _at;

    public SharedRate(ThrottleSpec spec, DateTimeOffset now)
    {
        _spec = spec;
        _level = spec.Burst;
        _at = now;
    }

    /// <summary>Tokens ever handed to silos as a share's start (the rest accrue at the shares' rates).</summary>
    public double TokensHandedOut { get; private set; }

    /// <summary>The sum of the shares in force at <paramref name="now"/>.</summary>
    public double AllocatedPerSecond(DateTimeOffset now) => _shares.Values.Where(s => s.Until > now).Sum(s => s.PerSecond);

    /// <summary>
    /// Replaces the silo's share: it gives back <paramref name="unspent"/> tokens and, if it wants to
    /// send and <paramref name="mayGrant"/>, gets a fair share of the rate (of what other silos do not
    /// hold now) for <paramref name="slice"/>, starting with what the bucket holds up to its burst share.
    /// </summary>
    public RateShare Exchange(string silo, bool wants, double unspent, bool mayGrant, DateTimeOffset now, TimeSpan slice)
    {
        Advance(now);
        _shares.Remove(silo);
        _level = Math.Min(_spec.Burst, _level + Math.Max(0, unspent));
        TokensHandedOut -= Math.Max(0, unspent);
        if (wants)
        {
            _wanting[silo] = now + slice;
        }
        else
        {
            _wanting.Remove(silo);
        }
        foreach (var gone in _wanting.Where(w => w.Value <= now).Select(w => w.Key).ToList())
        {
            _wanting.Remove(gone);
        }
        if (!wants || !mayGrant)
        {
            return new RateShare(0, 0, 0);
        }
        var rate = Math.Max(0, Math.Min(_spec.PerSecond / _wanting.Count, _spec.PerSecond - AllocatedPerSecond(now)));
        var burst = _spec.Burst * rate / _spec.PerSecond;
        var tokens = Math.Min(_level, burst);
        _level -= tokens;
        TokensHandedOut += tokens;
        _shares[silo] = (rate, now + slice);
        return new RateShare(rate, burst, tokens);
    }

    /// <summary>Refills the level at the unallocated rate, letting shares lapse at their ends.</summary>
    private void Advance(DateTimeOffset now)
    {
        foreach (var (silo, share) in _shares.Where(s => s.Value.Until <= now).OrderBy(s => s.Value.Until).ToList())
        {
            Fill(share.Until);
            _shares.Remove(silo);
        }
        Fill(now);
    }

    private void Fill(DateTimeOffset until)
    {
        if (until <= _at)
        {
            return;
        }
        var free = _spec.PerSecond - _shares.Values.Sum(s => s.PerSecond);
        _level = Math.Min(_spec.Burst, _level + (free * (until - _at).TotalSeconds));
        _at = until;
    }
}
