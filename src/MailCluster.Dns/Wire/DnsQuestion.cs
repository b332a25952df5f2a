namespace MailCluster.Dns.Wire;

/// <summary>A question (RFC 1035 4.1.2), class IN. The name is normalised so equal questions compare equal.</summary>
internal readonly record struct DnsQuestion
{
    public DnsQuestion(string name, DnsRecordType type)
    {
        Name = DnsName.Normalize(name);
        Type = type;
    }

    public string Name { get; }

    public DnsRecordType Type { get; }

    public override string ToString() => $"{Type.ToString().ToUpperInvariant()} {Name}.";
}
