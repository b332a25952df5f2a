namespace MailCluster.Delivery.Retry;

/// <summary>Retry schedule and queue lifetime, bound from <c>Delivery:Retry</c>.</summary>
internal sealed class RetryOptions
{
    /// <summary>
    /// Waits after the 1st, 2nd, … temporary failure; the last one repeats. Default 1m, 5m, 15m,
    /// 30m, 1h, then every 2h (comma-separated TimeSpans).
    /// </summary>
    public string Schedule { get; set; } = "00:01:00,00:05:00,00:15:00,00:30:00,01:00:00,02:00:00";

    /// <summary>± fraction of each wait drawn at random, so a burst of failures does not retry in lockstep. Default 0.1.</summary>
    public double Jitter { get; set; } = 0.1;

    /// <summary>How long a recipient may stay queued before it bounces as expired. Default 5 days (RFC 5321 4.5.4.1 suggests at least 4-5 days).</summary>
    public TimeSpan MaxQueueLifetime { get; set; } = TimeSpan.FromDays(5);

    public IReadOnlyList<TimeSpan> ScheduleSteps() =>
        Schedule.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(step => TimeSpan.Parse(step, System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public IEnumerable<string> Validate(string section = "Delivery:Retry")
    {
        IReadOnlyList<TimeSpan>? steps = null;
        string? error = null;
        try
        {
            steps = ScheduleSteps();
        }
        catch (FormatException)
        {
            error = $"{section}:Schedule is '{Schedule}'; expected comma-separated times such as 00:01:00,00:05:00";
        }
        if (error is not null)
        {
            yield return error;
        }
        else if (steps!.Count == 0 || steps.Any(s => s <= TimeSpan.Zero))
        {
            yield return $"{section}:Schedule is '{Schedule}'; needs at least one positive wait";
        }
        if (Jitter is < 0 or >= 1)
        {
            yield return $"{section}:Jitter is {Jitter}; must be at least 0 and below 1";
        }
        if (MaxQueueLifetime < TimeSpan.FromMinutes(1))
        {
            yield return $"{section}:MaxQueueLifetime is {MaxQueueLifetime}; must be at least 1 minute";
        }
    }
}
