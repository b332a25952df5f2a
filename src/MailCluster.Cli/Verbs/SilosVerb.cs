using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary><c>mailctl silos</c>: the cluster's members as the asked silo sees them, and its shaping rules' hash.</summary>
public sealed class SilosVerb : Verb
{
    private static readonly string[] s_headers = ["SILO", "ADDRESS", "STATUS", "SHAPING"];

    public override string Name => "silos";

    public override string Usage => "silos";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments.Count == 0 ? client.GetAsync("api/silos") : null;

    protected override string Format(AdminResponse response) =>
        TableRenderer.Render(s_headers, response.Read<List<SiloView>>().Select(s => (IReadOnlyList<string>)
        [
            s.ThisSilo ? Text(s.Name) + " *" : Text(s.Name), Text(s.Address), Text(s.Status), Text(s.ShapingHash),
        ]));
}
