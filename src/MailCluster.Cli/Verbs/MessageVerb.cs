using MailCluster.Admin;

namespace MailCluster.Cli.Verbs;

/// <summary><c>mailctl message QUEUE-ID</c>: a message's envelope and each recipient's status.</summary>
public sealed class MessageVerb : Verb
{
    private static readonly string[] s_headers = ["RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST REPLY"];

    public override string Name => "message";

    public override string Usage => "message QUEUE-ID";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments is [var id] ? client.GetAsync($"api/messages/{Escape(id)}") : null;

    protected override string Format(AdminResponse response)
    {
        var message = response.Read<MessageView>();
        var header = $"queue id:  {message.QueueId}\nsender:    <{message.Sender}>\nreceived:  {Text(message.ReceivedAt)}\nsize:      {Text(message.Size)}\n\n";
        return header + TableRenderer.Render(s_headers, message.Recipients.Select(r => (IReadOnlyList<string>)
        [
            Text(r.Address), Text(r.State), Text(r.Attempts), Text(r.NextAttemptAt), Text(r.LastReply),
        ]));
    }
}
