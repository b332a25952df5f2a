using MailCluster.Cluster.Sites;

namespace MailCluster.Delivery.Egress.Sources;

/// <summary>A source's warm-up (<see cref="WarmUpOptions"/>, validated): its day number and its caps at a provider's sites, on a given day.</summary>
internal sealed class WarmUpSchedule(DateOnly start, IReadOnlyList<WarmUpStepOptions> steps)
{
    public DateOnly Start => start;

    /// <summary>The source's day number at <paramref name="now"/>: 1 on its start date (and before it).</summary>
    public int DayOn(DateTimeOffset now) => Math.Max(1, DateOnly.FromDateTime(now.UtcDateTime).DayNumber - start.DayNumber + 1);

    /// <summary>
    /// The caps at a site of <paramref name="provider"/> (a group of <c>ResponseRules:Providers</c>;
    /// null: none) at <paramref name="now"/>: that group's steps if it has any, else the steps without
    /// a provider; null once the day is past the group's last step (the source is warm there).
    /// </summary>
    public WarmUpCap? CapOn(DateTimeOffset now, string? provider)
    {
        var group = provider is not null && steps.Any(s => Same(s.Provider, provider)) ? provider : null;
        var day = DayOn(now);
        var last = steps.Where(s => Same(s.Provider, group)).MaxBy(s => s.Day);
        if (last is null || day > last.Day)
        {
            return null;
        }
        var step = steps.Where(s => Same(s.Provider, group) && s.Day <= day).MaxBy(s => s.Day)!;
        return new WarmUpCap(step.PerDay, step.PerHour);
    }

    /// <summary>The schedule of a source's options, or null when it has none.</summary>
    public static WarmUpSchedule? From(WarmUpOptions? options) => options is { Start: { } start } ? new WarmUpSchedule(start, [.. options.Days]) : null;

    private static bool Same(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
