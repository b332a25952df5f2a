using System.Text.Json;
using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary>
/// <c>mailctl domains [DOMAIN]</c>: the queue per destination domain, or one domain's: the asked
/// silo's own, and (cluster mode) the retry tier's entries from its index, approximate; for one
/// domain sent from several egress sources, each source's connections, backoff and suspension.
/// </summary>
public sealed class DomainsVerb : Verb
{
    private static readonly string[] s_headers = ["DOMAIN", "DUE", "DEFERRED", "IN-FLIGHT", "IN-TIER", "OLDEST", "CONNECTIONS", "BACKOFF", "SUSPENDED"];
    private static readonly string[] s_sourceHeaders = ["SOURCE", "CONNECTIONS", "BACKOFF", "SUSPENDED", "PAUSED-BY"];

    public override string Name => "domains";

    public override string Usage => "domains [DOMAIN]";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) => command.Arguments switch
    {
        [] => client.GetAsync("api/domains"),
        [var domain] => client.GetAsync($"api/domains/{Escape(domain)}"),
        _ => null,
    };

    protected override string Format(AdminResponse response)
    {
        List<DomainView> domains = response.Body.ValueKind == JsonValueKind.Array ? response.Read<List<DomainView>>() : [response.Read<DomainView>()];
        var table = TableRenderer.Render(s_headers, domains.Select(d => (IReadOnlyList<string>)
        [
            Text(d.Domain), Text(d.Due), Text(d.Deferred), Text(d.InFlight), d.InTier is { } tier ? Text(tier) : "-", Text(d.OldestArrival),
            Text(d.Connections), Text(d.BackingOff), Text(d.Suspended),
        ]));
        // One domain: how each source's share of it stands, and which response rule paused a source.
        return domains is [{ Sources: { } sources }] && (sources.Count > 1 || sources.Any(s => s.PausedBy is not null))
            ? table + "\n" + TableRenderer.Render(s_sourceHeaders, sources.Select(s => (IReadOnlyList<string>)
                [Text(s.Source), Text(s.Connections), Text(s.BackingOff), Text(s.Suspended), s.PausedBy is { } rule ? $"{rule} ({Text(s.PausedFor)} left)" : "-"]))
            : table;
    }
}
