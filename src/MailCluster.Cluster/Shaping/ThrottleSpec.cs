using System.Globalization;

namespace MailCluster.Cluster.Shaping;

/// <summary>
/// A rate such as <c>100/min</c>, <c>10/s</c>, <c>5000/hour</c> or <c>20000/day</c>, with an
/// optional burst (<c>100/min,burst=20</c>). Without a burst the whole limit may be spent at once.
/// </summary>
internal readonly record struct ThrottleSpec(int Limit, TimeSpan Period, int Burst)
{
    public double PerSecond => Limit / Period.TotalSeconds;

    public override string ToString() =>
        $"{Limit}/{PeriodName(Period)}" + (Burst != Limit ? $",burst={Burst}" : string.Empty);

    public static ThrottleSpec Parse(string text) =>
        TryParse(text, out var spec) ? spec : throw new FormatException($"'{text}' is not a rate; expected e.g. 100/min, 10/s, 5000/hour, 100/min,burst=20");

    public static bool TryParse(string? text, out ThrottleSpec spec)
    {
        spec = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var rate = parts[0].Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length > 2 || rate.Length != 2
            || !int.TryParse(rate[0], NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1
            || ParsePeriod(rate[1]) is not { } period)
        {
            return false;
        }
        var burst = limit;
        if (parts.Length == 2 && !(parts[1].StartsWith("burst=", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(parts[1].AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out burst) && burst >= 1))
        {
            return false;
        }
        spec = new ThrottleSpec(limit, period, burst);
        return true;
    }

    private static TimeSpan? ParsePeriod(string unit) => unit.ToLowerInvariant() switch
    {
        "s" or "sec" or "second" => TimeSpan.FromSeconds(1),
        "m" or "min" or "minute" => TimeSpan.FromMinutes(1),
        "h" or "hr" or "hour" => TimeSpan.FromHours(1),
        "d" or "day" => TimeSpan.FromDays(1),
        _ => null,
    };

    private static string PeriodName(TimeSpan period) => period.TotalSeconds switch
    {
        1 => "s",
        60 => "min",
        3600 => "hour",
        _ => "day",
    };
}
