using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Tests.Sites;

public sealed class SiteFeedbackTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ASlowDownPausesHereAtOnceUntilTheGrainHasCountedIt()
    {
        var feedback = new SiteFeedback();
        feedback.SlowDown(s_now, TimeSpan.FromMinutes(1));
        Assert.True(feedback.SlowedDown);
        Assert.Equal(s_now.AddMinutes(1), feedback.PausedUntil);

        // A report sent before the slow-down does not count it.
        feedback.Counted(0, slowedDown: false);
        Assert.True(feedback.SlowedDown);

        feedback.Counted(0, slowedDown: true);
        Assert.False(feedback.SlowedDown);
        Assert.Equal(DateTimeOffset.MinValue, feedback.PausedUntil);
    }

    [Fact]
    public void CleanTransactionsAfterAReportWentOutAreKeptForTheNext()
    {
        var feedback = new SiteFeedback();
        feedback.Clean();
        feedback.Clean();
        var reported = feedback.CleanTransactions;
        feedback.Clean();

        feedback.Counted(reported, slowedDown: false);

        Assert.Equal(1, feedback.CleanTransactions);
    }
}
