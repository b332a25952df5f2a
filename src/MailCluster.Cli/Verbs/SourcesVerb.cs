using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary><c>mailctl sources</c>: the asked silo's egress sources, their addresses, proxies, EHLO names and pools.</summary>
public sealed class SourcesVerb : Verb
{
    private static readonly string[] s_headers = ["SOURCE", "ADDRESS", "SOCKS5", "EHLO", "POOLS"];

    public override string Name => "sources";

    public override string Usage => "sources";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments is [] ? client.GetAsync("api/sources") : null;

    protected override string Format(AdminResponse response) =>
        TableRenderer.Render(s_headers, response.Read<List<SourceView>>().Select(s => (IReadOnlyList<string>)
        [
            Text(s.Name), s.Address ?? "(default)", s.Socks5 ?? "-", Text(s.EhloName), string.Join(", ", s.Pools.Select(p => $"{p.Pool} (weight {p.Weight})")),
        ]));
}
