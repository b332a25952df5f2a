using MailCluster.Dns.Wire;

namespace MailCluster.Dns.Tests;

/// <summary>An <see cref="IDnsResolver"/> that answers from a table and counts what it was asked.</summary>
internal sealed class ScriptedResolver : IDnsResolver
{
    private readonly Dictionary<DnsQuestion, Func<Task<DnsLookupResult>>> _answers = [];
    private readonly List<DnsQuestion> _asked = [];

    public IReadOnlyList<DnsQuestion> Asked
    {
        get
        {
            lock (_asked)
            {
                return [.. _asked];
            }
        }
    }

    public ScriptedResolver On(string name, DnsRecordType type, DnsLookupResult result) => On(name, type, () => Task.FromResult(result));

    public ScriptedResolver On(string name, DnsRecordType type, Func<Task<DnsLookupResult>> result)
    {
        _answers[new DnsQuestion(name, type)] = result;
        return this;
    }

    public ScriptedResolver OnRecords(string name, DnsRecordType type, params DnsRecord[] records) =>
        On(name, type, new DnsLookupResult(DnsLookupStatus.Success, records, TimeSpan.FromSeconds(records.Min(r => r.Ttl)), "scripted"));

    public ScriptedResolver OnHost(string name, params string[] addresses) =>
        OnRecords(name, DnsRecordType.A, [.. addresses.Select(a => new ARecord(name, 300, System.Net.IPAddress.Parse(a)))]);

    public async ValueTask<DnsLookupResult> LookupAsync(DnsQuestion question, CancellationToken cancellationToken)
    {
        lock (_asked)
        {
            _asked.Add(question);
        }

        return _answers.TryGetValue(question, out var answer)
            ? await answer()
            : new DnsLookupResult(DnsLookupStatus.NoData, [], null, $"{question.Name} has no {question.Type} records");
    }

    public static DnsLookupResult Status(DnsLookupStatus status, uint? ttl = null) =>
        new(status, [], ttl is { } t ? TimeSpan.FromSeconds(t) : null, $"scripted {status}");
}
