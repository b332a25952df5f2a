using System.Text.RegularExpressions;

namespace MailCluster.Events;

/// <summary>
/// Delivery events for the sender's systems (section <c>Events</c>). Without a sink no event is
/// written; with one, each outcome's event is stored in the commit of the outcome and handed to every sink.
/// </summary>
public sealed partial class EventsOptions
{
    public const string Section = "Events";

    /// <summary>
    /// Bytes of events the journal keeps for sinks that have not taken them (a sink down, disabled or
    /// slow); beyond it the oldest are dropped and counted, never the mail. They count against the spool's room.
    /// </summary>
    public long MaxBacklogBytes { get; set; } = 1L << 30;

    public List<EventSinkOptions> Sinks { get; set; } = [];

    /// <summary>Events are written only when some sink takes them.</summary>
    public bool Enabled => Sinks.Count > 0;

    public IEnumerable<string> Validate()
    {
        if (MaxBacklogBytes < 1 << 20)
        {
            yield return $"Events:MaxBacklogBytes must be at least 1048576 (1 MiB), not {MaxBacklogBytes}.";
        }
        for (var i = 0; i < Sinks.Count; i++)
        {
            foreach (var error in Sinks[i].Validate($"Events:Sinks:{i}"))
            {
                yield return error;
            }
        }
        foreach (var twice in Sinks.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            yield return $"Events:Sinks names '{twice.Key}' {twice.Count()} times: each sink keeps its own cursor under its name.";
        }
    }
}

/// <summary>How a sink delivers its batches.</summary>
public enum EventSinkType
{
    /// <summary>An HTTPS POST of a JSON array, signed with HMAC-SHA256 (<see cref="Sinks.WebhookSignature"/>).</summary>
    Webhook,

    /// <summary>A persistent message per event to an AMQP 0-9-1 topic exchange, with publisher confirms (<see cref="Sinks.AmqpSink"/>).</summary>
    Amqp,
}

/// <summary>One consumer of events (<c>Events:Sinks:N</c>): its own cursor, filter, batch size and retry schedule.</summary>
public sealed partial class EventSinkOptions
{
    /// <summary>Names the sink's cursor in the journal: renaming a sink starts it from the oldest event kept.</summary>
    public string Name { get; set; } = "";

    public EventSinkType Type { get; set; } = EventSinkType.Webhook;

    /// <summary>Webhook: the receiver's https URL. Amqp: the broker's <c>amqp://user@host:port/vhost</c> (or <c>amqps://</c>).</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// A file (a mounted Secret) read at start, surrounding white space not part of it. Webhook: the
    /// HMAC secret (required). Amqp: the broker user's password (optional; else the URL's).
    /// </summary>
    public string SecretFile { get; set; } = "";

    /// <summary>Webhook: a PEM file of CA certificates the receiver's certificate must chain to, instead of the system's roots (a private CA).</summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>Amqp: the topic exchange events are published to (routing key: the event's type); declared durable if missing.</summary>
    public string Exchange { get; set; } = "mailcluster.events";

    /// <summary>Comma-separated event types that go to the sink; empty: all.</summary>
    public string Kinds { get; set; } = "";

    /// <summary>Comma-separated submission users: only events of mail they sent; empty: any.</summary>
    public string Users { get; set; } = "";

    /// <summary>Comma-separated egress pools: only events of mail in them; empty: any.</summary>
    public string Pools { get; set; } = "";

    internal IEnumerable<EventKind> KindList() => List(Kinds).Select(k => Enum.Parse<EventKind>(k, ignoreCase: true));

    internal IEnumerable<string> UserList() => List(Users);

    internal IEnumerable<string> PoolList() => List(Pools);

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Events per delivery (one POST).</summary>
    public int BatchSize { get; set; } = 100;

    /// <summary>How long one delivery may take before it counts as failed and is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The pause after a first failure; each further failure doubles it up to <see cref="RetryMax"/>.</summary>
    public TimeSpan RetryInitial { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMax { get; set; } = TimeSpan.FromMinutes(5);

    internal IEnumerable<string> Validate(string key)
    {
        if (!SinkName().IsMatch(Name))
        {
            yield return $"{key}:Name must be 1-63 of a-z, 0-9 and '-' (it names the sink's cursor and metrics), not '{Name}'.";
        }
        foreach (var error in Type == EventSinkType.Webhook ? ValidateWebhook(key) : ValidateAmqp(key))
        {
            yield return error;
        }
        foreach (var kind in List(Kinds).Where(k => !Enum.TryParse<EventKind>(k, ignoreCase: true, out _) || int.TryParse(k, out _)))
        {
            yield return $"{key}:Kinds names '{kind}', which is not an event type ({string.Join(", ", Enum.GetNames<EventKind>())}).";
        }
        if (BatchSize is < 1 or > 10_000)
        {
            yield return $"{key}:BatchSize must be 1-10000, not {BatchSize}.";
        }
        if (Timeout <= TimeSpan.Zero)
        {
            yield return $"{key}:Timeout must be positive, not {Timeout}.";
        }
        if (RetryInitial <= TimeSpan.Zero || RetryMax < RetryInitial)
        {
            yield return $"{key}:RetryInitial ({RetryInitial}) must be positive and at most RetryMax ({RetryMax}).";
        }
    }

    private IEnumerable<string> ValidateWebhook(string key)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps)
        {
            yield return $"{key}:Url must be an absolute https URL, not '{Url}'.";
        }
        if (SecretFile.Length == 0 || !File.Exists(SecretFile))
        {
            yield return $"{key}:SecretFile must name a readable file with the HMAC secret, not '{SecretFile}'.";
        }
        else if (File.ReadAllText(SecretFile).Trim().Length < 16)
        {
            yield return $"{key}:SecretFile ({SecretFile}) must hold a secret of at least 16 characters.";
        }
        if (CaCertificateFile is { Length: > 0 } ca && !File.Exists(ca))
        {
            yield return $"{key}:CaCertificateFile names no file: '{ca}'.";
        }
    }

    private IEnumerable<string> ValidateAmqp(string key)
    {
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("amqp" or "amqps") || url.Host.Length == 0)
        {
            yield return $"{key}:Url must be an amqp:// or amqps:// URL of the broker, not '{Url}'.";
        }
        if (SecretFile.Length > 0 && !File.Exists(SecretFile))
        {
            yield return $"{key}:SecretFile names no file: '{SecretFile}'.";
        }
        if (CaCertificateFile is { Length: > 0 })
        {
            yield return $"{key}:CaCertificateFile is for webhooks; an amqps broker's certificate is checked against the system's roots.";
        }
        if (!ExchangeName().IsMatch(Exchange))
        {
            yield return $"{key}:Exchange must be 1-127 of letters, digits, '-', '_', '.' and ':', not '{Exchange}'.";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,127}$")]
    private static partial Regex ExchangeName();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex SinkName();
}
