using System.Text.Json;

namespace MailCluster.Cli.Verbs;

/// <summary><c>mailctl message QUEUE-ID</c>: a message's envelope and each recipient's status.</summary>
public sealed class MessageVerb : Verb
{
    private static readonly string[] s_headers = ["RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST REPLY"];

    public override string Name => "message";

    public override string Usage => "message QUEUE-ID";

    protected override Task<AdminResponse>? CallAsync(AdminClient client, CommandLine command) =>
        command.Arguments is [var id] ? client.GetAsync($"api/messages/{Escape(id)}") : null;

    protected override string Format(JsonElement body)
    {
        var sender = Text(body, "sender");
        var header = $"queue id:  {Text(body, "queueId")}\nsender:    <{(sender == "-" ? string.Empty : sender)}>\nreceived:  {Text(body, "receivedAt")}\nsize:      {Text(body, "size")}\n\n";
        return header + TableRenderer.Render(s_headers, body.GetProperty("recipients").EnumerateArray().Select(r => (IReadOnlyList<string>)
        [
            Text(r, "address"), Text(r, "state"), Text(r, "attempts"), Text(r, "nextAttemptAt"), Text(r, "lastReply"),
        ]));
    }
}
