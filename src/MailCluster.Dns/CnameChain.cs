using MailCluster.Dns.Wire;

namespace MailCluster.Dns;

/// <summary>Tracks one lookup's walk along CNAMEs: depth limit, loop detection and the chain's TTL.</summary>
internal sealed class CnameChain(DnsQuestion question, int maxDepth)
{
    private readonly DnsQuestion _question = question;
    private readonly HashSet<string> _visited = [question.Name];
    private uint _ttl = uint.MaxValue;

    public DnsQuestion Current { get; private set; } = question;

    public bool MovedInLastResponse { get; private set; }

    /// <summary>Follows CNAMEs for the current name inside one answer section; returns an error sentence or null.</summary>
    public string? FollowWithin(IReadOnlyList<DnsRecord> answers)
    {
        MovedInLastResponse = false;
        while (Current.Type != DnsRecordType.Cname
            && answers.OfType<CnameRecord>().FirstOrDefault(r => r.Name == Current.Name) is { } alias)
        {
            if (!_visited.Add(alias.Target))
            {
                return $"CNAME loop at {alias.Name} -> {alias.Target} while resolving {_question}";
            }

            if (_visited.Count - 1 > maxDepth)
            {
                return $"CNAME chain for {_question} is longer than {maxDepth}";
            }

            _ttl = Math.Min(_ttl, alias.Ttl);
            Current = new DnsQuestion(alias.Target, _question.Type);
            MovedInLastResponse = true;
        }

        return null;
    }

    /// <summary>The smallest TTL along the chain and the final records.</summary>
    public TimeSpan Ttl(IEnumerable<DnsRecord> records) =>
        TimeSpan.FromSeconds(Math.Min(_ttl, records.Min(r => r.Ttl)));
}
