using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Sites;
using MailCluster.Delivery.Shaping;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Delivery.Tests;

public sealed class ThrottleSpecTests
{
    [Theory]
    [InlineData("100/min", 100, 60, 100)]
    [InlineData("10/s", 10, 1, 10)]
    [InlineData("5000/hour", 5000, 3600, 5000)]
    [InlineData("20000/day", 20000, 86400, 20000)]
    [InlineData(" 100 / m , burst=20 ", 100, 60, 20)]
    [InlineData("1/h", 1, 3600, 1)]
    public void RatesParse(string text, int limit, int seconds, int burst)
    {
        Assert.Equal(new ThrottleSpec(limit, TimeSpan.FromSeconds(seconds), burst), ThrottleSpec.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("100")]
    [InlineData("0/min")]
    [InlineData("-1/min")]
    [InlineData("100/fortnight")]
    [InlineData("100/min,burst=0")]
    [InlineData("100/min,bust=5")]
    [InlineData("100/min,burst=5,x")]
    [InlineData("1e3/min")]
    public void NonsenseIsRefused(string text)
    {
        Assert.False(ThrottleSpec.TryParse(text, out _));
        Assert.Throws<FormatException>(() => ThrottleSpec.Parse(text));
    }

    [Fact]
    public void RoundTripsThroughText() => Assert.Equal("100/min,burst=20", ThrottleSpec.Parse("100/min,burst=20").ToString());

    [Fact]
    public void AShareSpendsItsTokensThenAccruesAtItsRateUpToItsBurstUntilItEnds()
    {
        var start = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var bucket = new RateShareBucket(new RateShare(PerSecond: 1, Burst: 5, Tokens: 5), start, start.AddMinutes(10));
        var granted = 0;
        // Twelve simulated minutes in 100 ms steps, taking whatever is offered: the share ends after ten.
        for (var now = start; now < start.AddMinutes(12); now = now.AddMilliseconds(100))
        {
            while (bucket.TryTake(now, out _))
            {
                granted++;
            }
        }
        Assert.InRange(granted, 600, 605);
    }

    [Fact]
    public void AnEmptyShareSaysHowLongToWaitAndNothingPastItsEnd()
    {
        var start = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var bucket = new RateShareBucket(new RateShare(PerSecond: 1.0 / 30, Burst: 2, Tokens: 2), start, start.AddSeconds(45));
        Assert.True(bucket.TryTake(start, out _));
        Assert.True(bucket.TryTake(start, out _));
        Assert.False(bucket.TryTake(start, out var wait));
        Assert.Equal(30, wait!.Value.TotalSeconds, precision: 3);
        Assert.True(bucket.TryTake(start + wait.Value, out _));
        Assert.False(bucket.TryTake(start.AddSeconds(31), out wait));
        Assert.Null(wait);
        Assert.Equal(0, bucket.GiveBack(start.AddSeconds(50)));
    }

    [Fact]
    public void WhatIsLeftIsGivenBackOnce()
    {
        var start = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var bucket = new RateShareBucket(new RateShare(PerSecond: 2, Burst: 4, Tokens: 1), start, start.AddSeconds(5));
        Assert.Equal(3, bucket.GiveBack(start.AddSeconds(1)), precision: 6);
        Assert.Equal(0, bucket.GiveBack(start.AddSeconds(1)));
        Assert.False(bucket.TryTake(start.AddSeconds(1), out _));
    }
}
