using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Egress.Sources;

namespace MailCluster.Delivery.Tests;

/// <summary>A source's warm-up schedule: its day number, its steps per provider group, its end, and what configuration it refuses.</summary>
public sealed class WarmUpScheduleTests
{
    private static readonly DateOnly s_start = new(2026, 12, 1);

    private static WarmUpStepOptions Step(int day, int perDay, int? perHour = null, string? provider = null) =>
        new() { Day = day, PerDay = perDay, PerHour = perHour, Provider = provider };

    private static WarmUpSchedule Schedule(params WarmUpStepOptions[] steps) => new(s_start, steps);

    private static DateTimeOffset Day(int number, int hour = 12) => new DateTimeOffset(s_start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddDays(number - 1).AddHours(hour);

    [Fact]
    public void TheDayNumberCountsUtcDaysFromTheStartAndIsOneBeforeIt()
    {
        var schedule = Schedule(Step(1, 100));
        Assert.Equal(1, schedule.DayOn(Day(1, hour: 0)));
        Assert.Equal(1, schedule.DayOn(Day(1, hour: 23)));
        Assert.Equal(2, schedule.DayOn(Day(2, hour: 0)));
        Assert.Equal(1, schedule.DayOn(Day(-5)));
        // 23:30 at UTC-2 is 01:30 UTC the next day.
        Assert.Equal(2, schedule.DayOn(new DateTimeOffset(2026, 12, 1, 23, 30, 0, TimeSpan.FromHours(-2))));
    }

    [Fact]
    public void AStepHoldsUntilTheNextAndTheSourceIsWarmAfterTheLast()
    {
        var schedule = Schedule(Step(1, 100, 20), Step(3, 500), Step(5, 2000, 300));
        Assert.Equal(new WarmUpCap(100, 20), schedule.CapOn(Day(1), null));
        Assert.Equal(new WarmUpCap(100, 20), schedule.CapOn(Day(2), null));
        Assert.Equal(new WarmUpCap(500, null), schedule.CapOn(Day(4), null));
        Assert.Equal(new WarmUpCap(2000, 300), schedule.CapOn(Day(5), null));
        Assert.Null(schedule.CapOn(Day(6), null));
    }

    [Fact]
    public void AProvidersOwnStepsHoldAtItsSitesAndTheOthersEverywhereElse()
    {
        var schedule = Schedule(Step(1, 1000), Step(1, 50, provider: "gmail"), Step(2, 150, provider: "Gmail"), Step(4, 5000));
        Assert.Equal(new WarmUpCap(50, null), schedule.CapOn(Day(1), "gmail"));
        Assert.Equal(new WarmUpCap(150, null), schedule.CapOn(Day(2), "GMAIL"));
        // Past gmail's last step the source is warm at gmail, though the general steps go on.
        Assert.Null(schedule.CapOn(Day(3), "gmail"));
        Assert.Equal(new WarmUpCap(1000, null), schedule.CapOn(Day(3), "yahoo"));
        Assert.Equal(new WarmUpCap(5000, null), schedule.CapOn(Day(4), null));
    }

    [Fact]
    public void ASourceWithoutAWarmUpHasNoSchedule()
    {
        Assert.Null(WarmUpSchedule.From(null));
        Assert.Equal(s_start, WarmUpSchedule.From(new WarmUpOptions { Start = s_start, Days = [Step(1, 10)] })!.Start);
    }

    [Theory]
    [InlineData(null, 1, 100, null, null, "Start is not set")]
    [InlineData("2026-12-01", 2, 100, null, null, "do not start at Day 1")]
    [InlineData("2026-12-01", 0, 100, null, null, "days count from 1")]
    [InlineData("2026-12-01", 1, 0, null, null, "PerDay is 0")]
    [InlineData("2026-12-01", 1, 100, 101, null, "PerHour is 101")]
    [InlineData("2026-12-01", 1, 100, 0, null, "PerHour is 0")]
    [InlineData("2026-12-01", 1, 100, null, "gmail", "every step names a provider")]
    public void AWarmUpThatCannotHoldIsRefusedWithTheReason(string? start, int day, int perDay, int? perHour, string? provider, string error)
    {
        var options = new WarmUpOptions { Start = start is null ? null : DateOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture), Days = [Step(day, perDay, perHour, provider)] };
        Assert.Contains(options.Validate("Egress:Sources:0:WarmUp"), e => e.StartsWith("Egress:Sources:0:WarmUp", StringComparison.Ordinal) && e.Contains(error, StringComparison.Ordinal));
    }

    [Fact]
    public void AWarmUpWithoutStepsOrWithADayTwiceIsRefused()
    {
        Assert.Contains(new WarmUpOptions { Start = s_start }.Validate("W"), e => e.Contains("Days is empty", StringComparison.Ordinal));
        Assert.Contains(new WarmUpOptions { Start = s_start, Days = [Step(1, 10), Step(1, 20)] }.Validate("W"), e => e.Contains("name a day twice", StringComparison.Ordinal));
        Assert.Empty(new WarmUpOptions { Start = s_start, Days = [Step(1, 10, 5), Step(2, 20), Step(1, 5, provider: "gmail")] }.Validate("W"));
    }
}
