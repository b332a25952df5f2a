using MailCluster.Cluster;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;

namespace MailCluster.Delivery.Tests;

/// <summary>
/// A model of one site under the faults of a real cluster (issue 21, items 5 and 6): silos exchange
/// with whichever activation of the site's grain they reach; during a move two activations are
/// alive, the old one until its next state write meets the new one's fencing write; answers are
/// lost after the grain processed the call; a silo pauses (SIGSTOP) for up to four leases. A silo
/// works under the last grant it received until that expires, and its transactions in flight run on
/// for the grant's lapse grace (a paused one's sockets stay open as long). At every step, the
/// connections silos may hold sum to at most the site's cap.
/// </summary>
public sealed class SiteGrantModelTests
{
    private const int Cap = 6;
    private static readonly DateTimeOffset s_start = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly DomainShaping s_limits = new("dest.test", Cap, 100, 100, null, null, TlsPolicy.Opportunistic, TimeSpan.FromMinutes(1));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void GrantsNeverSumAboveTheCapThroughMovesAndLostAnswers(int seed)
    {
        var random = new Random(seed);
        var silos = Enumerable.Range(0, 4).Select(i => new Silo($"silo{i}", random.Next(1, Cap + 1))).ToList();
        var stored = new StoredSite();
        var activations = new List<Activation> { stored.Activate(s_start) };
        var now = s_start;
        var lostAnswers = 0;
        var moves = 0;
        var grantsWhileTwoLive = 0;
        var pauses = 0;
        for (var step = 0; step < 3000; step++)
        {
            now = now.AddMilliseconds(250);
            if (random.Next(200) == 0)
            {
                // The grain moves: a new activation while the old one is still alive.
                activations.Add(stored.Activate(now));
                moves++;
            }
            if (random.Next(300) == 0)
            {
                silos[random.Next(silos.Count)].PausedUntil = now.AddSeconds(random.Next(5, 40));
                pauses++;
            }
            var silo = silos[random.Next(silos.Count)];
            if (now < silo.PausedUntil)
            {
                continue;
            }
            silo.Wanted = random.Next(10) == 0 ? random.Next(0, Cap + 1) : silo.Wanted;
            var live = activations.Where(a => a.Alive).ToList();
            var grant = live[random.Next(live.Count)].Exchange(silo.Report(now), now);
            grantsWhileTwoLive += live.Count > 1 && grant is not null ? 1 : 0;
            if (grant is not null && random.Next(4) != 0)
            {
                silo.Receive(grant, now);
            }
            else if (grant is not null)
            {
                lostAnswers++;
            }
            var mayHold = silos.Sum(s => s.MayHold(now));
            Assert.True(mayHold <= Cap, $"step {step}: silos may hold {mayHold} connections, the cap is {Cap}");
        }
        Assert.True(moves > 0 && lostAnswers > 0 && grantsWhileTwoLive > 0 && pauses > 0, $"{moves} moves, {lostAnswers} lost answers, {grantsWhileTwoLive} grants while two activations were alive, {pauses} pauses");
        // Not stuck at zero: the model still hands out the site.
        Assert.True(silos.Sum(s => s.MayHold(now)) > 0);
    }

    /// <summary>The grain's storage: an ETag-like version every write must match.</summary>
    private sealed class StoredSite
    {
        private SiteState _state = new();
        private int _version;

        public Activation Activate(DateTimeOffset now)
        {
            var activation = new Activation(this, Copy(_state), now) { Version = _version };
            // The fencing write at activation.
            Write(activation);
            return activation;
        }

        public bool Write(Activation activation)
        {
            if (activation.Version != _version)
            {
                return false;
            }
            _state = Copy(activation.Ledger.State);
            activation.Version = ++_version;
            return true;
        }

        private static SiteState Copy(SiteState state) => new()
        {
            SiteSuspended = state.SiteSuspended,
            SuspendedDomains = [.. state.SuspendedDomains],
            PausedUntil = state.PausedUntil,
            Cap = state.Cap,
            LeasesEndBy = state.LeasesEndBy,
        };
    }

    /// <summary>One activation of the grain: the ledger decides; what a grant depends on is written before it goes out.</summary>
    private sealed class Activation(StoredSite storage, SiteState state, DateTimeOffset now)
    {
        public SiteLedger Ledger { get; } = new(Guid.NewGuid(), state, now, ClusterTimings.Defaults);

        public int Version { get; set; }

        public bool Alive { get; private set; } = true;

        /// <summary>The grant, or null when the write failed: the activation was stale and is deactivated.</summary>
        public SiteGrant? Exchange(SiteReport report, DateTimeOffset now)
        {
            var grant = Ledger.Exchange(report, s_limits, now);
            if (Ledger.StateChanged)
            {
                if (!storage.Write(this))
                {
                    Alive = false;
                    return null;
                }
                Ledger.StateWritten();
            }
            return grant;
        }
    }

    private sealed class Silo(string name, int wanted)
    {
        private SiteGrant? _grant;
        private DateTimeOffset _until;

        public int Wanted { get; set; } = wanted;

        public DateTimeOffset PausedUntil { get; set; }

        /// <summary>Connections the silo may have open now: the last grant it received, through its lease and the grace after it.</summary>
        public int MayHold(DateTimeOffset now) => _grant is not null && now < _until + _grant.LapseGrace ? _grant.Connections : 0;

        public SiteReport Report(DateTimeOffset now) =>
            new(name, "dest.test", null, _grant?.Epoch ?? Guid.Empty, Math.Min(_grant is not null && now < _until ? _grant.Connections : 0, Wanted), Wanted, false, 0, 0, 0, false, _grant?.Sequence ?? 0);

        public void Receive(SiteGrant grant, DateTimeOffset sentAt) => (_grant, _until) = (grant, sentAt + grant.LeaseFor);
    }
}
