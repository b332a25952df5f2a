using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary>
/// <c>mailctl silos</c>: the cluster's members as the asked silo sees them, with the hash of each
/// one's shaping rules in force (a silo whose file differs shows another), and any failed reload below.
/// </summary>
public sealed class SilosVerb : Verb
{
    private static readonly string[] s_headers = ["SILO", "ADDRESS", "STATUS", "SHAPING"];

    public override string Name => "silos";

    public override string Usage => "silos";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments.Count == 0 ? client.GetAsync("api/silos") : null;

    protected override string Format(AdminResponse response)
    {
        var silos = response.Read<List<SiloView>>();
        var table = TableRenderer.Render(s_headers, silos.Select(s => (IReadOnlyList<string>)
        [
            s.ThisSilo ? Text(s.Name) + " *" : Text(s.Name), Text(s.Address), Text(s.Status), Text(s.ShapingHash),
        ]));
        return table + string.Concat(silos.Where(s => s.ShapingError is not null).Select(s => $"{s.Name}: its last shaping reload failed, older rules in force: {s.ShapingError}\n"));
    }
}
