using System.Text.Json;

namespace MailCluster.Cli.Verbs;

/// <summary><c>mailctl domains [DOMAIN]</c>: the queue per destination domain, or one domain's.</summary>
public sealed class DomainsVerb : Verb
{
    private static readonly string[] s_headers = ["DOMAIN", "DUE", "DEFERRED", "IN-FLIGHT", "OLDEST", "CONNECTIONS", "BACKOFF", "SUSPENDED"];

    public override string Name => "domains";

    public override string Usage => "domains [DOMAIN]";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) => command.Arguments switch
    {
        [] => client.GetAsync("api/domains"),
        [var domain] => client.GetAsync($"api/domains/{Escape(domain)}"),
        _ => null,
    };

    protected override string Format(JsonElement body)
    {
        var domains = body.ValueKind == JsonValueKind.Array ? body.EnumerateArray().ToList() : [body];
        return TableRenderer.Render(s_headers, domains.Select(d => (IReadOnlyList<string>)
        [
            Text(d, "domain"), Text(d, "due"), Text(d, "deferred"), Text(d, "inFlight"), Text(d, "oldestArrival"),
            Text(d, "connections"), Text(d, "backingOff"), Text(d, "suspended"),
        ]));
    }
}
