using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary><c>mailctl suspend DOMAIN</c> and <c>mailctl resume DOMAIN</c>.</summary>
public sealed class SuspensionVerb(bool suspend) : Verb
{
    public override string Name => suspend ? "suspend" : "resume";

    public override string Usage => $"{Name} DOMAIN";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments is [var domain] ? client.PostAsync($"api/domains/{Escape(domain)}/{Name}") : null;

    protected override string Format(AdminResponse response) =>
        $"{response.Read<SuspensionChanged>().Domain}: delivery {(suspend ? "suspended" : "resumed")}\n";
}
