using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary>
/// <c>mailctl sources</c>: the asked silo's egress sources, their addresses, proxies, EHLO names and
/// pools; then, across the cluster, what each did per site in the last minute (connections opened,
/// messages delivered), the domains suspended on it, and each warming source's day, caps and counts per site.
/// </summary>
public sealed class SourcesVerb : Verb
{
    private static readonly string[] s_headers = ["SOURCE", "ADDRESS", "SOCKS5", "EHLO", "POOLS"];
    private static readonly string[] s_activityHeaders = ["SOURCE", "SITE", "CONNECTIONS/MIN", "MESSAGES/MIN"];
    private static readonly string[] s_warmUpHeaders = ["SOURCE", "DAY", "SITE", "CAP/DAY", "CAP/HOUR", "TODAY", "THIS HOUR"];

    public override string Name => "sources";

    public override string Usage => "sources";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments is [] ? client.GetAsync("api/sources") : null;

    protected override string Format(AdminResponse response)
    {
        var sources = response.Read<List<SourceView>>();
        var table = TableRenderer.Render(s_headers, sources.Select(s => (IReadOnlyList<string>)
        [
            Text(s.Name), s.Address ?? "(default)", s.Socks5 ?? "-", Text(s.EhloName), string.Join(", ", s.Pools.Select(p => $"{p.Pool} (weight {p.Weight})")),
        ]));
        var activity = sources.SelectMany(s => (s.LastMinute ?? []).Select(a => (IReadOnlyList<string>)[Text(s.Name), Text(a.Site), Text(a.Connections), Text(a.Messages)])).ToList();
        var suspended = sources.Where(s => s.Suspended is { Count: > 0 }).Select(s => $"suspended on {s.Name}: {string.Join(", ", s.Suspended!)}");
        var warmUp = sources.Where(s => s.WarmUp is not null).SelectMany(s => WarmUpRows(s.Name, s.WarmUp!)).ToList();
        return string.Join(
            "\n",
            [
                table,
                activity.Count == 0 ? "No connections in the last minute.\n" : TableRenderer.Render(s_activityHeaders, activity),
                .. warmUp.Count == 0 ? Array.Empty<string>() : [TableRenderer.Render(s_warmUpHeaders, warmUp)],
                .. suspended,
            ]);
    }

    /// <summary>A row per site the warming source sent to today; one without a site before it sent anywhere.</summary>
    private static IEnumerable<IReadOnlyList<string>> WarmUpRows(string source, SourceWarmUpView warmUp)
    {
        var day = $"{warmUp.Day} (from {warmUp.Start:yyyy-MM-dd})";
        if (warmUp.Sites.Count == 0)
        {
            return [[Text(source), day, "-", "-", "-", "0", "0"]];
        }
        return warmUp.Sites.Select(s => (IReadOnlyList<string>)
            [Text(source), day, Text(s.Site), s.PerDay is { } d ? Text(d) : "warm", s.PerHour is { } h ? Text(h) : "-", Text(s.Today), Text(s.ThisHour)]);
    }
}
