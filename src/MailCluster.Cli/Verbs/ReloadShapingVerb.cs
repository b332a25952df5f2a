using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary><c>mailctl reload-shaping</c>: re-read the shaping rules without a restart, on the asked silo at once and on every other within seconds.</summary>
public sealed class ReloadShapingVerb : Verb
{
    public override string Name => "reload-shaping";

    public override string Usage => "reload-shaping";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments.Count == 0 ? client.PostAsync("api/shaping/reload") : null;

    protected override string Format(AdminResponse response)
    {
        var reloaded = response.Read<ShapingReloaded>();
        return $"shaping reloaded: {reloaded.Rules} rule(s), hash {reloaded.Hash}; every silo follows within {reloaded.FollowSeconds} s (mailctl silos shows their hashes)\n";
    }
}
