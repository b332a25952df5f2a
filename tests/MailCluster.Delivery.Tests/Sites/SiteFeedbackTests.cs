using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Tests.Sites;

public sealed class SiteFeedbackTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ASlowDownPausesHereAtOnceUntilTheGrainHasCountedIt()
    {
        var feedback = new SiteFeedback();
        feedback.Slow(s_now, SiteSlowDown.Backoff, TimeSpan.FromMinutes(1));
        Assert.True(feedback.SlowedDown);
        Assert.Equal(s_now.AddMinutes(1), feedback.PausedUntil);
        Assert.Equal(TimeSpan.FromMinutes(1), feedback.SlowDown!.Duration);

        // A report sent before the slow-down does not count it.
        feedback.Counted(0, reported: null);
        Assert.True(feedback.SlowedDown);

        feedback.Counted(0, feedback.SlowDown);
        Assert.False(feedback.SlowedDown);
        Assert.Equal(DateTimeOffset.MinValue, feedback.PausedUntil);
    }

    [Fact]
    public void OfSeveralSlowDownsTheLongestIsReportedAndOneAfterTheReportWentOutIsKept()
    {
        var feedback = new SiteFeedback();
        var suspend = new SiteSlowDown(TimeSpan.FromHours(2), 1, "yahoo-tss04", Suspend: true);
        feedback.Slow(s_now, suspend, TimeSpan.FromHours(2));
        feedback.Slow(s_now.AddSeconds(1), SiteSlowDown.Backoff, TimeSpan.FromMinutes(1));
        var reported = feedback.SlowDown;
        Assert.Equal("yahoo-tss04", reported!.Rule);
        Assert.Equal(s_now.AddHours(2), feedback.PausedUntil);

        // A longer one arrives before the grain answered the report: it stays for the next report.
        feedback.Slow(s_now.AddSeconds(2), suspend, TimeSpan.FromHours(3));
        feedback.Counted(0, reported);

        Assert.Equal(TimeSpan.FromHours(3), feedback.SlowDown!.Duration);
    }

    [Fact]
    public void CleanTransactionsAfterAReportWentOutAreKeptForTheNext()
    {
        var feedback = new SiteFeedback();
        feedback.Clean();
        feedback.Clean();
        var reported = feedback.CleanTransactions;
        feedback.Clean();

        feedback.Counted(reported, reported: null);

        Assert.Equal(1, feedback.CleanTransactions);
    }
}
