using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary>
/// <c>mailctl sources</c>: the asked silo's egress sources, their addresses, proxies, EHLO names and
/// pools; then, across the cluster, what each did per site in the last minute (connections opened,
/// messages delivered) and the domains suspended on it.
/// </summary>
public sealed class SourcesVerb : Verb
{
    private static readonly string[] s_headers = ["SOURCE", "ADDRESS", "SOCKS5", "EHLO", "POOLS"];
    private static readonly string[] s_activityHeaders = ["SOURCE", "SITE", "CONNECTIONS/MIN", "MESSAGES/MIN"];

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
        return string.Join(
            "\n",
            [
                table,
                activity.Count == 0 ? "No connections in the last minute.\n" : TableRenderer.Render(s_activityHeaders, activity),
                .. suspended,
            ]);
    }
}
