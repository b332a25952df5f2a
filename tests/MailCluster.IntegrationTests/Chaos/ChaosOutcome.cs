using System.Text.RegularExpressions;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Chaos;

/// <summary>
/// What the sinks hold at one moment, held against what the load was promised: every acked
/// recipient delivered, bounced by the sink or reported in a DSN; DSNs only for the sink's
/// <c>bounce+</c> recipients, one or two each; and how many deliveries were repeats.
/// </summary>
internal sealed partial class ChaosOutcome
{
    private ChaosOutcome(IReadOnlyCollection<string> acked, AiosmtpdSink mx, AiosmtpdSink senderMx)
    {
        Acked = acked;
        var deliveries = mx.Messages().SelectMany(m => m.RcptTos).ToList();
        Delivered = deliveries.ToHashSet(StringComparer.OrdinalIgnoreCase);
        Duplicates = deliveries.Count - Delivered.Count;
        BouncedBySink = mx.Bounced().ToHashSet(StringComparer.OrdinalIgnoreCase);
        // A DSN is mail to the sender with the null reverse path; each failed recipient in it counts once.
        var failed = senderMx.Messages()
            .Where(m => m.MailFrom is "<>" or "")
            .SelectMany(m => FailedRecipient().Matches(m.Content).Select(match => match.Groups[1].Value))
            .ToList();
        DsnCount = failed.Count;
        DsnsPerRecipient = failed.GroupBy(r => r, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyCollection<string> Acked { get; }

    public HashSet<string> Delivered { get; }

    /// <summary>Deliveries of a recipient after its first.</summary>
    public int Duplicates { get; }

    public HashSet<string> BouncedBySink { get; }

    /// <summary>Failed recipients reported in DSNs, repeats included.</summary>
    public int DsnCount { get; }

    public Dictionary<string, int> DsnsPerRecipient { get; }

    public static ChaosOutcome Read(IReadOnlyCollection<string> acked, AiosmtpdSink mx, AiosmtpdSink senderMx) => new(acked, mx, senderMx);

    public static bool BouncesAtTheSink(string recipient) => recipient.StartsWith("bounce+", StringComparison.OrdinalIgnoreCase);

    /// <summary>Acked recipients with no outcome yet: not delivered, not bounced by the sink, in no DSN; a bounced one waits for its DSN.</summary>
    public IReadOnlyList<string> Unaccounted() =>
        [.. Acked.Where(r => BouncesAtTheSink(r)
            ? !DsnsPerRecipient.ContainsKey(r)
            : !Delivered.Contains(r) && !DsnsPerRecipient.ContainsKey(r))];

    /// <summary>Recipients the sink accepts that were reported failed (bounced, expired or dead-lettered as poison).</summary>
    public IReadOnlyList<string> WrongfulBounces() => [.. DsnsPerRecipient.Keys.Where(r => !BouncesAtTheSink(r))];

    /// <summary>Acked recipients the sink bounces, with a DSN count outside one to two.</summary>
    public IReadOnlyList<string> BadDsnCounts() =>
        [.. Acked.Where(BouncesAtTheSink).Where(r => DsnsPerRecipient.GetValueOrDefault(r) is < 1 or > 2)];

    public int AckedBounces => Acked.Count(BouncesAtTheSink);

    public int DeliveredAcked => Acked.Count(Delivered.Contains);

    // RFC 3464 2.3: a per-recipient block names the recipient, then says what happened to it.
    [GeneratedRegex(@"Final-Recipient: rfc822; ?(\S+)\r?\nAction: failed", RegexOptions.IgnoreCase)]
    private static partial Regex FailedRecipient();
}
