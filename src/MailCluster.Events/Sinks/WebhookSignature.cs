using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MailCluster.Events.Sinks;

/// <summary>
/// How a webhook receiver knows a batch is ours and fresh. Each POST carries
/// <c>X-MailCluster-Timestamp</c> (Unix seconds) and <c>X-MailCluster-Signature: v1=HEX</c>, where
/// HEX is the lower-case HMAC-SHA256, keyed with the sink's secret (its file's text, trimmed, as
/// UTF-8), of the timestamp, a full stop, and the body's bytes as sent. A receiver recomputes it
/// over the raw body, compares in constant time, and refuses timestamps far from its clock (replays).
/// </summary>
public static class WebhookSignature
{
    public const string TimestampHeader = "X-MailCluster-Timestamp";

    public const string SignatureHeader = "X-MailCluster-Signature";

    private const string Version = "v1=";

    public static string Timestamp(DateTimeOffset now) => now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    public static string Sign(ReadOnlySpan<byte> secret, string timestamp, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        hmac.AppendData(Encoding.ASCII.GetBytes(timestamp + "."));
        hmac.AppendData(body);
        return Version + Convert.ToHexStringLower(hmac.GetHashAndReset());
    }

    /// <summary>What a receiver does: the signature matches the body and timestamp (constant-time).</summary>
    public static bool Verify(ReadOnlySpan<byte> secret, string timestamp, ReadOnlySpan<byte> body, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(secret, timestamp, body)), Encoding.ASCII.GetBytes(signature));
}
