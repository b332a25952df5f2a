using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary>
/// <c>mailctl drain SILO</c>: the silo hands its whole local queue to the retry tier, due at once,
/// as at SIGTERM, and keeps running (maintenance). Only that silo's own admin API does it.
/// </summary>
public sealed class DrainVerb : Verb
{
    public override string Name => "drain";

    public override string Usage => "drain SILO";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) => command.Arguments switch
    {
        [var silo] => client.PostAsync($"api/silos/{Escape(silo)}/drain"),
        _ => null,
    };

    protected override string Format(AdminResponse response) => response.Read<Drained>() is var drained
        ? $"{drained.Silo}: {drained.Moved} recipient(s) handed to the retry tier, {drained.Left} left in its spool\n"
        : string.Empty;
}
