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
    // Shares replaced before their end: the answer carrying the new one may be lost, so the old one counts until it ends.
    private readonly List<(string Silo, double PerSecond, DateTimeOffset Until, long ReplacedBy)> _superseded = [];
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

    /// <summary>The sum of the shares in force at <paramref name="now"/>: per silo, its share or the one it replaced, whichever is larger.</summary>
    public double AllocatedPerSecond(DateTimeOffset now) => Allocated(until => until > now, except: null);

    /// <summary>
    /// Replaces the silo's share: it gives back <paramref name="unspent"/> tokens and, if it wants to
    /// send and <paramref name="mayGrant"/>, gets a fair share of the rate (of what other silos do not
    /// hold now) for <paramref name="slice"/>, starting with what the bucket holds up to its burst share.
    /// The share it replaces counts until it ends, or until the silo reports working under grant
    /// <paramref name="acknowledged"/> or later (this one is <paramref name="sequence"/>).
    /// </summary>
    public RateShare Exchange(string silo, bool wants, double unspent, bool mayGrant, DateTimeOffset now, TimeSpan slice, long sequence = 0, long acknowledged = 0)
    {
        Advance(now);
        _superseded.RemoveAll(s => s.Silo == silo && s.ReplacedBy <= acknowledged);
        if (_shares.Remove(silo, out var replaced) && replaced.Until > now)
        {
            _superseded.Add((silo, replaced.PerSecond, replaced.Until, sequence));
        }
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
        // Its own replaced share does not narrow its room: it holds the larger of the two at most.
        var rate = Math.Max(0, Math.Min(_spec.PerSecond / _wanting.Count, _spec.PerSecond - Allocated(until => until > now, except: silo)));
        var burst = _spec.Burst * rate / _spec.PerSecond;
        var tokens = Math.Min(_level, burst);
        _level -= tokens;
        TokensHandedOut += tokens;
        _shares[silo] = (rate, now + slice);
        return new RateShare(rate, burst, tokens);
    }

    /// <summary>Refills the level at the unallocated rate, letting shares (and the ones they replaced) lapse at their ends.</summary>
    private void Advance(DateTimeOffset now)
    {
        var ends = _shares.Values.Select(s => s.Until).Concat(_superseded.Select(s => s.Until)).Where(u => u <= now).Order().ToList();
        foreach (var end in ends)
        {
            Fill(end);
            foreach (var silo in _shares.Where(s => s.Value.Until <= end).Select(s => s.Key).ToList())
            {
                _shares.Remove(silo);
            }
            _superseded.RemoveAll(s => s.Until <= end);
        }
        Fill(now);
    }

    private void Fill(DateTimeOffset until)
    {
        if (until <= _at)
        {
            return;
        }
        var free = _spec.PerSecond - Allocated(_ => true, except: null);
        _level = Math.Min(_spec.Burst, _level + (free * (until - _at).TotalSeconds));
        _at = until;
    }

    /// <summary>Per silo, the largest of its share and the shares it replaced, among those <paramref name="inForce"/> by their end.</summary>
    private double Allocated(Func<DateTimeOffset, bool> inForce, string? except) =>
        _shares.Select(s => (Silo: s.Key, s.Value.PerSecond, s.Value.Until))
            .Concat(_superseded.Select(s => (s.Silo, s.PerSecond, s.Until)))
            .Where(s => inForce(s.Until) && s.Silo != except)
            .GroupBy(s => s.Silo, StringComparer.Ordinal)
            .Sum(g => g.Max(s => s.PerSecond));
}
