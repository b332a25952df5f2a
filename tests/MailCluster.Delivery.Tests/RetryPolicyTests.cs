using MailCluster.Delivery.Retry;

namespace MailCluster.Delivery.Tests;

public sealed class RetryPolicyTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 60)]
    [InlineData(2, 300)]
    [InlineData(3, 900)]
    [InlineData(4, 1800)]
    [InlineData(5, 3600)]
    [InlineData(6, 7200)]
    [InlineData(40, 7200)]
    public void DefaultScheduleIsOneFiveFifteenThirtyMinutesOneHourThenEveryTwo(int attempts, int seconds)
    {
        var policy = new RetryPolicy(new RetryOptions { Jitter = 0 }, new Random(1));
        Assert.Equal(s_now.AddSeconds(seconds), policy.NextAttempt(attempts, s_now));
    }

    [Fact]
    public void JitterStaysWithinItsFraction()
    {
        var policy = new RetryPolicy(new RetryOptions { Jitter = 0.1 }, new Random(42));
        var waits = Enumerable.Range(0, 1000).Select(_ => (policy.NextAttempt(1, s_now) - s_now).TotalSeconds).ToList();
        Assert.All(waits, w => Assert.InRange(w, 54, 66));
        Assert.True(waits.Distinct().Count() > 100, "jitter should spread retries");
    }

    [Fact]
    public void RecipientExpiresOnlyPastTheQueueLifetime()
    {
        var policy = new RetryPolicy(new RetryOptions(), new Random(1));
        var received = s_now.AddDays(-5);
        Assert.False(policy.IsExpired(received, s_now));
        Assert.True(policy.IsExpired(received, s_now.AddSeconds(1)));
    }

    [Theory]
    [InlineData("nonsense", "Delivery:Retry:Schedule is 'nonsense'; expected comma-separated times such as 00:01:00,00:05:00")]
    [InlineData("00:00:00", "Delivery:Retry:Schedule is '00:00:00'; needs at least one positive wait")]
    public void BadSchedulesAreNamed(string schedule, string message)
    {
        Assert.Equal([message], new RetryOptions { Schedule = schedule }.Validate());
    }
}
