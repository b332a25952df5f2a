namespace MailCluster.Cluster.Shaping;

/// <summary>STARTTLS policy toward a domain's MX hosts.</summary>
internal enum TlsPolicy
{
    /// <summary>Use STARTTLS when offered, accept any certificate; plain text otherwise (RFC 3207 4.1).</summary>
    Opportunistic,

    /// <summary>Deliver only over TLS (any certificate); without STARTTLS the attempt is deferred.</summary>
    Require,

    /// <summary>Deliver only over TLS with a certificate valid for the MX host name.</summary>
    Verify,

    /// <summary>Never STARTTLS.</summary>
    Disabled,
}

/// <summary>
/// One shaping rule. <see cref="Match"/> is an exact domain (<c>example.com</c>), a wildcard
/// (<c>*.example.com</c>, matching subdomains), or an MX host suffix (<c>mx:.google.com</c>): every
/// domain whose primary MX ends with it shares the rule's limits, like a KumoMTA site. Unset fields
/// fall back to the default rule.
/// </summary>
internal sealed class ShapingRule
{
    public string Match { get; set; } = string.Empty;

    /// <summary>Concurrent SMTP connections to the domain (or site).</summary>
    public int? MaxConnections { get; set; }

    /// <summary>Messages sent over one connection before it is closed and a new one opened.</summary>
    public int? MaxMessagesPerConnection { get; set; }

    /// <summary>Recipients in one transaction; RFC 5321 4.5.3.1.8 servers must accept at least 100.</summary>
    public int? MaxRecipientsPerTransaction { get; set; }

    /// <summary>Messages per period, e.g. <c>600/min</c> (<see cref="ThrottleSpec"/>).</summary>
    public string? MessageRate { get; set; }

    /// <summary>New connections per period, e.g. <c>30/min</c>.</summary>
    public string? ConnectionRate { get; set; }

    public TlsPolicy? Tls { get; set; }

    /// <summary>Pause after a 421 or 4.7.x reply or a failed connection (adaptive backoff).</summary>
    public TimeSpan? BackoffPeriod { get; set; }

    /// <summary>Concurrent connections to the site summed over all egress sources (the limits above hold per source).</summary>
    public int? SiteMaxConnections { get; set; }

    /// <summary>Messages per period to the site summed over all egress sources, e.g. <c>6000/min</c>.</summary>
    public string? SiteMessageRate { get; set; }
}

/// <summary>Per-domain delivery shaping, bound from <c>Shaping</c>.</summary>
internal sealed class ShapingOptions
{
    /// <summary>The limits every domain gets unless a rule says otherwise.</summary>
    public ShapingRule Default { get; set; } = new()
    {
        MaxConnections = 10,
        MaxMessagesPerConnection = 100,
        MaxRecipientsPerTransaction = 100,
        Tls = TlsPolicy.Opportunistic,
        BackoffPeriod = TimeSpan.FromMinutes(1),
    };

    public List<ShapingRule> Rules { get; set; } = [];

    public IEnumerable<string> Validate(string section = "Shaping")
    {
        var rules = Rules.Select((rule, i) => (Name: $"{section}:Rules:{i}", Rule: rule)).Prepend(($"{section}:Default", Default));
        foreach (var (name, rule) in rules)
        {
            if (name != $"{section}:Default" && string.IsNullOrWhiteSpace(rule.Match))
            {
                yield return $"{name}:Match is empty; use a domain, *.domain or mx:.suffix";
            }
            if (rule.MaxConnections is < 1)
            {
                yield return $"{name}:MaxConnections is {rule.MaxConnections}; must be at least 1";
            }
            if (rule.MaxMessagesPerConnection is < 1)
            {
                yield return $"{name}:MaxMessagesPerConnection is {rule.MaxMessagesPerConnection}; must be at least 1";
            }
            if (rule.MaxRecipientsPerTransaction is < 1)
            {
                yield return $"{name}:MaxRecipientsPerTransaction is {rule.MaxRecipientsPerTransaction}; must be at least 1";
            }
            if (rule.SiteMaxConnections is < 1)
            {
                yield return $"{name}:SiteMaxConnections is {rule.SiteMaxConnections}; must be at least 1";
            }
            foreach (var (field, value) in new[] { ("MessageRate", rule.MessageRate), ("ConnectionRate", rule.ConnectionRate), ("SiteMessageRate", rule.SiteMessageRate) })
            {
                if (value is not null && !ThrottleSpec.TryParse(value, out _))
                {
                    yield return $"{name}:{field} is '{value}'; expected e.g. 100/min, 10/s, 5000/hour";
                }
            }
        }
    }
}
