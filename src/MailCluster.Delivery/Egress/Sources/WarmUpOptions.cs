namespace MailCluster.Delivery.Egress.Sources;

/// <summary>
/// A new source's warm-up (<c>Egress:Sources:N:WarmUp</c>): from <see cref="Start"/> (its day 1, a
/// UTC date) the source sends at most so many messages a day, and an hour, to each site; the caps
/// grow by day number as <see cref="Days"/> lists them. A step holds from its day until the next
/// step's; after a group's last step the source is warm there (no cap). Steps naming a provider
/// group of <c>ResponseRules:Providers</c> hold at that provider's sites, the others everywhere else.
/// </summary>
internal sealed class WarmUpOptions
{
    /// <summary>The source's day 1 (UTC), e.g. <c>2026-12-01</c>; the day number advances by itself from it.</summary>
    public DateOnly? Start { get; set; }

    public List<WarmUpStepOptions> Days { get; set; } = [];

    public IEnumerable<string> Validate(string section)
    {
        if (Start is null)
        {
            yield return $"{section}:Start is not set; it is the source's day 1, a UTC date such as 2026-12-01";
        }
        if (Days.Count == 0)
        {
            yield return $"{section}:Days is empty; a warm-up needs at least its day 1 (Day=1, PerDay=...)";
        }
        for (var i = 0; i < Days.Count; i++)
        {
            foreach (var error in Days[i].Validate($"{section}:Days:{i}"))
            {
                yield return error;
            }
        }
        foreach (var group in Days.GroupBy(d => d.Provider, StringComparer.OrdinalIgnoreCase))
        {
            var name = group.Key is null ? "without a provider" : $"of provider '{group.Key}'";
            if (group.Min(d => d.Day) != 1)
            {
                yield return $"{section}:Days: the steps {name} do not start at Day 1";
            }
            if (group.Select(d => d.Day).Distinct().Count() < group.Count())
            {
                yield return $"{section}:Days: the steps {name} name a day twice";
            }
        }
        if (Days.Count > 0 && Days.All(d => d.Provider is not null))
        {
            yield return $"{section}:Days: every step names a provider; steps without one (from Day 1) hold at every other site";
        }
    }
}

/// <summary>One warm-up step: from <see cref="Day"/> on, at most <see cref="PerDay"/> messages a UTC day (and <see cref="PerHour"/> an hour) per site.</summary>
internal sealed class WarmUpStepOptions
{
    public int Day { get; set; }

    public int PerDay { get; set; }

    /// <summary>Null: only the daily cap.</summary>
    public int? PerHour { get; set; }

    /// <summary>A provider group of <c>ResponseRules:Providers</c> (e.g. <c>gmail</c>); null: every site no other step's provider covers.</summary>
    public string? Provider { get; set; }

    public IEnumerable<string> Validate(string section)
    {
        if (Day < 1)
        {
            yield return $"{section}:Day is {Day}; days count from 1 (the Start date)";
        }
        if (PerDay < 1)
        {
            yield return $"{section}:PerDay is {PerDay}; must be at least 1 (a source that must not send belongs in no pool)";
        }
        if (PerHour is < 1 || PerHour > PerDay)
        {
            yield return $"{section}:PerHour is {PerHour}; must be between 1 and PerDay ({PerDay})";
        }
    }
}
