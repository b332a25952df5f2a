namespace MailCluster.Cluster.Sites;

/// <summary>Reports of activity per site, summed over a sliding window: what happened in the last <paramref name="length"/>.</summary>
internal sealed class ActivityWindow(TimeSpan length)
{
    private readonly Queue<(DateTimeOffset At, IReadOnlyList<SiteActivity> Activity)> _reports = new();

    public void Add(DateTimeOffset at, IReadOnlyList<SiteActivity> activity)
    {
        DropBefore(at - length);
        _reports.Enqueue((at, activity));
    }

    /// <summary>Per site, the sums of the reports within the window, busiest first.</summary>
    public IReadOnlyList<SiteActivity> Sum(DateTimeOffset now)
    {
        DropBefore(now - length);
        return
        [
            .. _reports.SelectMany(r => r.Activity)
                .GroupBy(a => a.Site, StringComparer.OrdinalIgnoreCase)
                .Select(g => new SiteActivity(g.Key, g.Sum(a => a.Connections), g.Sum(a => a.Messages)))
                .OrderByDescending(a => a.Messages).ThenBy(a => a.Site, StringComparer.Ordinal),
        ];
    }

    private void DropBefore(DateTimeOffset start)
    {
        while (_reports.TryPeek(out var oldest) && oldest.At <= start)
        {
            _reports.Dequeue();
        }
    }
}
