namespace MailCluster.Dns.Mx;

/// <summary>The TXT records at a name; when <see cref="IsTemporaryFailure"/>, asking later may find some.</summary>
public sealed record TextRecords(IReadOnlyList<string> Texts, bool IsTemporaryFailure, string Detail);
