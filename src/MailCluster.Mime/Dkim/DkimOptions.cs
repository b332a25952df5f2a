namespace MailCluster.Mime.Dkim;

/// <summary>
/// DKIM signing at acceptance (section <c>Dkim</c>): keys per signing domain, chosen by the From:
/// domain (RFC 6376), with a fallback. A From: domain with no key goes unsigned, or is refused when
/// <see cref="Required"/>.
/// </summary>
public sealed class DkimOptions
{
    public const string Section = "Dkim";

    /// <summary>The signing keys; two for one domain (e.g. RSA and Ed25519, RFC 8463) sign every message twice.</summary>
    public List<DkimKeyOptions> Keys { get; set; } = [];

    /// <summary>
    /// The signing domain (one of <see cref="Keys"/>' domains) for mail whose From: domain, and every
    /// parent of it, has no key of its own. Unset: such mail goes unsigned.
    /// </summary>
    public string? FallbackDomain { get; set; }

    /// <summary>Refuse (<c>550 5.7.1</c>) mail that would go unsigned, instead of accepting it unsigned.</summary>
    public bool Required { get; set; }

    /// <summary>One message per invalid key, naming it; the key files are read (and their size checked) here.</summary>
    public IEnumerable<string> Validate(string section = Section)
    {
        for (var i = 0; i < Keys.Count; i++)
        {
            foreach (var problem in Keys[i].Validate($"{section}:Keys:{i}"))
            {
                yield return problem;
            }
        }
        if (FallbackDomain is { Length: > 0 } fallback && !Keys.Exists(k => k.Domain.Equals(fallback, StringComparison.OrdinalIgnoreCase)))
        {
            yield return $"{section}:FallbackDomain '{fallback}' has no key in {section}:Keys";
        }
        if (Required && Keys.Count == 0)
        {
            yield return $"{section}:Required is true but {section}:Keys is empty: every message would be refused";
        }
    }
}

/// <summary>One signing key: <c>d=</c>, <c>s=</c>, the PEM private key file (a Kubernetes secret) and the algorithm.</summary>
public sealed class DkimKeyOptions
{
    /// <summary>The signing domain (<c>d=</c>): it signs mail whose From: domain is it or one of its subdomains.</summary>
    public string Domain { get; set; } = string.Empty;

    /// <summary>The selector (<c>s=</c>): the public key is published at <c>selector._domainkey.domain</c>.</summary>
    public string Selector { get; set; } = string.Empty;

    /// <summary>A PEM private key: RSA (PKCS#1 or PKCS#8, 2048 bits or more) or Ed25519 (PKCS#8).</summary>
    public string KeyFile { get; set; } = string.Empty;

    /// <summary><c>rsa-sha256</c> (default) or <c>ed25519-sha256</c> (RFC 8463).</summary>
    public string Algorithm { get; set; } = DkimKeyFile.RsaSha256;

    public IEnumerable<string> Validate(string section)
    {
        if (!DkimKeyFile.IsDomainName(Domain))
        {
            yield return $"{section}:Domain '{Domain}' is not a domain name";
        }
        if (!DkimKeyFile.IsDomainName(Selector))
        {
            yield return $"{section}:Selector '{Selector}' is not a selector (letters, digits, '-' and '.')";
        }
        if (DkimKeyFile.Load(KeyFile, Algorithm).Problem is { } problem)
        {
            yield return $"{section}:KeyFile '{KeyFile}' {problem}";
        }
    }
}
