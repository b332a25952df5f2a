namespace MailCluster.Cluster.Sites;

/// <summary>
/// The clock of the site grains' rules: the project's own, so tests can step it without giving the
/// whole silo a fake clock (which would stall Orleans' runtime loops).
/// </summary>
public sealed class SiteClock(TimeProvider time)
{
    public DateTimeOffset Now => time.GetUtcNow();
}
