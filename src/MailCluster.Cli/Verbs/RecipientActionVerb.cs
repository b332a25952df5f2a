using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary><c>mailctl retry|bounce|delete (--domain DOMAIN | --message QUEUE-ID)</c>: act on queued recipients.</summary>
public sealed class RecipientActionVerb(string name, string pastTense) : Verb
{
    public override string Name => name;

    public override string Usage => $"{name} (--domain DOMAIN | --message QUEUE-ID)";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command)
    {
        var (domain, message) = (command.Option("domain"), command.Option("message"));
        if (command.Arguments.Count > 0 || (domain is null) == (message is null))
        {
            return null;
        }
        var target = domain is not null ? $"api/domains/{Escape(domain)}" : $"api/messages/{Escape(message!)}";
        return name switch
        {
            "delete" => client.DeleteAsync(domain is not null ? target + "/recipients" : target),
            _ => client.PostAsync($"{target}/{name}"),
        };
    }

    protected override string Format(AdminResponse response) => response.Read<RecipientsChanged>() is var changed && changed.InTier
        ? $"{changed.Recipients} recipient(s) {pastTense} on this silo; the retry tier's matching entries are {pastTense} as each is next received\n"
        : $"{changed.Recipients} recipient(s) {pastTense}\n";
}
