using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary><c>mailctl suspend DOMAIN [--source NAME]</c> and <c>mailctl resume DOMAIN [--source NAME]</c>: for every egress source, or one.</summary>
public sealed class SuspensionVerb(bool suspend) : Verb
{
    public override string Name => suspend ? "suspend" : "resume";

    public override string Usage => $"{Name} DOMAIN [--source NAME]";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments is [var domain]
            ? client.PostAsync($"api/domains/{Escape(domain)}/{Name}{(command.Option("source") is { } source ? $"?source={Escape(source)}" : "")}")
            : null;

    protected override string Format(AdminResponse response)
    {
        var changed = response.Read<SuspensionChanged>();
        return $"{changed.Domain}: delivery {(suspend ? "suspended" : "resumed")}{(changed.Source is { } source ? $" from source {source}" : "")}\n";
    }
}
