using MailCluster.Cluster.Sites;

namespace MailCluster.Delivery.Tests;

/// <summary>An egress source's grain rules: its last minute of activity per site, from every silo's reports, and its suspended domains.</summary>
public sealed class SourceLedgerTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ReportsOfTheLastMinuteAreSummedPerSiteBusiestFirst()
    {
        var ledger = new SourceLedger(new SourceState());
        ledger.Report(s_now, [new SiteActivity("old.test", 5, 50)]);
        // Two silos report ten seconds apart; the site's spelling differs, it is one site.
        ledger.Report(s_now.AddSeconds(30), [new SiteActivity("gmail.com", 2, 40), new SiteActivity("yahoo.com", 1, 5)]);
        ledger.Report(s_now.AddSeconds(40), [new SiteActivity("Gmail.com", 1, 30)]);

        var view = ledger.View(s_now.AddSeconds(60));

        Assert.Equal([new SiteActivity("gmail.com", 3, 70), new SiteActivity("yahoo.com", 1, 5)], view.LastMinute);
        Assert.Empty(ledger.View(s_now.AddSeconds(100)).LastMinute);
    }

    [Fact]
    public void ASuspensionIsRecordedOnceWhateverItsSpellingAndResumingRemovesIt()
    {
        var state = new SourceState();
        var ledger = new SourceLedger(state);

        Assert.True(ledger.Suspended("Gmail.com", suspended: true));
        Assert.False(ledger.Suspended("gmail.com", suspended: true));
        Assert.True(ledger.Suspended("yahoo.com", suspended: true));
        Assert.False(ledger.Suspended("aol.com", suspended: false));

        Assert.Equal(["gmail.com", "yahoo.com"], ledger.View(s_now).SuspendedDomains);
        Assert.True(ledger.Suspended("GMAIL.COM", suspended: false));
        Assert.Equal(["yahoo.com"], state.SuspendedDomains);
    }

    [Fact]
    public void TheSitesOfTheDayAreKeptOnceEachAndStartAgainAtMidnightUtc()
    {
        var state = new SourceState();
        var ledger = new SourceLedger(state);

        Assert.True(ledger.Report(s_now, [new SiteActivity("gmail.com", 1, 5), new SiteActivity("yahoo.com", 1, 1)]));
        // Known sites, whatever their spelling, change nothing to write.
        Assert.False(ledger.Report(s_now.AddHours(1), [new SiteActivity("Gmail.com", 1, 5)]));
        Assert.Equal(["gmail.com", "yahoo.com"], ledger.View(s_now.AddHours(2)).SitesToday);

        var tomorrow = new DateTimeOffset(2026, 12, 8, 0, 0, 5, TimeSpan.Zero);
        Assert.Empty(ledger.View(tomorrow).SitesToday!);
        Assert.True(ledger.Report(tomorrow, [new SiteActivity("web.de", 1, 1)]));
        Assert.Equal(["web.de"], ledger.View(tomorrow).SitesToday);
        // A new activation reads them from the written state.
        Assert.Equal(["web.de"], new SourceLedger(state).View(tomorrow).SitesToday);
    }
}
