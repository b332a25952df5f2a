namespace MailCluster.Cluster.Sites;

/// <summary>
/// One silo's account: what it was granted until when, and what it last said it holds and wants.
/// A grant replaced by a smaller one still counts until it expires or the silo reports working
/// under a later one: the answer carrying the smaller one may be lost (or its call timed out
/// after it was processed), and the silo then keeps using the larger one. Every grant counts for
/// <c>lapseGrace</c> past its expiry: a silo whose lease lapsed lets transactions in flight finish
/// that long before it cuts them, and a paused process keeps its sockets open meanwhile.
/// </summary>
internal sealed class SiloLease(TimeSpan leasePeriod, TimeSpan lapseGrace)
{
    private readonly List<(int Granted, DateTimeOffset Until, long ReplacedBy)> _superseded = [];
    private int _granted;
    private DateTimeOffset _until;
    private int _held;
    private DateTimeOffset _seen;
    private bool _deserted;

    public int Wanted { get; private set; }

    public void Report(int held, int wanted, long acknowledged, DateTimeOffset now)
    {
        (_held, Wanted, _seen, _deserted) = (held, Math.Max(held, wanted), now, false);
        _superseded.RemoveAll(g => !Counts(g.Until, now) || g.ReplacedBy <= acknowledged);
    }

    public void Grant(int connections, long sequence, DateTimeOffset now, DateTimeOffset until)
    {
        if (Counts(_until, now) && _granted > connections)
        {
            _superseded.Add((_granted, _until, sequence));
        }
        (_granted, _until) = (connections, until);
    }

    /// <summary>The current grant while unexpired.</summary>
    public int Granted(DateTimeOffset now) => now < _until ? _granted : 0;

    /// <summary>What the silo may have open: its grants until their grace ran out, or more while it still closes connections above a reduced grant.</summary>
    public int Outstanding(DateTimeOffset now) => Math.Max(
        Counts(_until, now) ? Math.Max(_granted, _held) : 0,
        _superseded.Where(g => Counts(g.Until, now)).Select(g => g.Granted).DefaultIfEmpty(0).Max());

    public bool Wanting(DateTimeOffset now) => Wanted > 0 && now < _seen + leasePeriod;

    public int Held(DateTimeOffset now) => now < _seen + leasePeriod ? _held : 0;

    public bool Gone(DateTimeOffset now) => !Counts(_until, now) && now >= _seen + leasePeriod;

    /// <summary>Its lease of some connections ran out unrenewed, grace and all (a silo done with the site reports once more and is granted none); true once.</summary>
    public bool DesertedHolding(DateTimeOffset now)
    {
        if (_deserted || _granted == 0 || Counts(_until, now) || now < _seen + leasePeriod)
        {
            return false;
        }
        _deserted = true;
        return true;
    }

    /// <summary>A grant until <paramref name="until"/> may still have connections open: its transactions get the grace to finish.</summary>
    private bool Counts(DateTimeOffset until, DateTimeOffset now) => now < until + lapseGrace;
}
