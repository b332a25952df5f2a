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
    public void BucketNeverGrantsMoreThanTheRateAllows()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(ThrottleSpec.Parse("60/min,burst=5"), time);
        var granted = 0;
        // Ten simulated minutes in 100 ms steps, taking whatever is offered.
        for (var step = 0; step < 6000; step++)
        {
            while (bucket.TryTake(out _))
            {
                granted++;
            }
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.InRange(granted, 600, 605);
    }

    [Fact]
    public void EmptyBucketSaysHowLongToWait()
    {
        var time = new FakeTimeProvider();
        var bucket = new TokenBucket(ThrottleSpec.Parse("2/min"), time);
        Assert.True(bucket.TryTake(out _));
        Assert.True(bucket.TryTake(out _));
        Assert.False(bucket.TryTake(out var wait));
        Assert.Equal(30, wait.TotalSeconds, precision: 3);
        time.Advance(wait);
        Assert.True(bucket.TryTake(out _));
    }
}
