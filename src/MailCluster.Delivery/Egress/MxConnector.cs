using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using MailCluster.Cluster.Shaping;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.MtaSts;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Responses;
using MailCluster.Delivery.Shaping;
using MailCluster.Dns.Mx;
using MailCluster.Smtp.Client;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Delivery.Egress;

/// <summary>
/// Opens an SMTP session to a domain: resolves its MX hosts, then tries each host's addresses in
/// preference order (RFC 5321 5.1), skipping addresses the policy refuses and hosts that do not
/// answer or greet with an error, and applies the domain's STARTTLS policy. Opportunistic TLS
/// whose handshake fails is retried on the same host in plaintext (RFC 7435 1.3: it must not do
/// worse than no TLS), as Postfix does; policies that require TLS never fall back. A domain's
/// MTA-STS policy (RFC 8461 4, 5) in enforce mode limits delivery to the MX hosts it names, over
/// TLS verified for the host name; in testing mode delivery goes on as usual and what enforce would
/// have refused is counted.
/// </summary>
internal sealed class MxConnector : IMxConnector
{
    private readonly MxResolver _resolver;
    private readonly MxAddressPolicy _policy;
    private readonly DeliveryOptions _options;
    private readonly SmtpClientOptions _client;
    private readonly DeliveryMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly MtaStsPolicies _mtaSts;
    private readonly TrustedRoots _roots;
    private readonly SourceDialer _dialer;
    private readonly ResponseJudge _judge;

    public MxConnector(
        MxResolver resolver, MxAddressPolicy policy, MtaStsPolicies mtaSts, TrustedRoots roots, DeliveryOptions options, SmtpClientOptions client, DeliveryMetrics metrics,
        TimeProvider time, SourceDialer dialer, ResponseJudge judge)
    {
        _judge = judge;
        _dialer = dialer;
        _mtaSts = mtaSts;
        _roots = roots;
        _metrics = metrics;
        _resolver = resolver;
        _policy = policy;
        _options = options;
        _client = client;
        _time = time;
    }

    public async Task<string?> PrimaryMxAsync(string domain, CancellationToken cancellationToken)
    {
        var resolution = await ResolveAsync(domain, cancellationToken);
        return resolution.IsTemporaryFailure
            ? throw new MxLookupFailedException($"the MX lookup of {domain} failed for now: {resolution.Reason}")
            : resolution.Hosts is [var first, ..] ? first.Name : null;
    }

    public async Task<ConnectResult> ConnectAsync(string domain, DomainShaping shaping, EgressSource source, CancellationToken cancellationToken)
    {
        var resolution = await ResolveAsync(domain, cancellationToken);
        if (resolution.Kind != MxResolutionKind.Resolved)
        {
            return new ConnectResult(null, DeliveryOutcomeClassifier.FromResolution(resolution));
        }
        var sts = AddressLiteral.TryParse(domain, out _) ? null : await _mtaSts.ForDomainAsync(domain, cancellationToken);
        var failures = new List<string>();
        var tlsFailures = 0;
        foreach (var host in resolution.Hosts)
        {
            // RFC 8461 4.1: enforce uses only the MX hosts the policy names; testing counts the others.
            if (sts is not null && !sts.Allows(host.Name))
            {
                _metrics.MtaStsCheck(domain, ModeLabel(sts), "mx_mismatch");
                if (sts.Mode == MtaStsMode.Enforce)
                {
                    failures.Add($"{host.Name} is not named by the MTA-STS policy of {domain}");
                    tlsFailures++;
                    continue;
                }
            }
            var check = sts is not null && sts.Allows(host.Name) ? sts : null;
            var tls = check?.Mode == MtaStsMode.Enforce ? TlsPolicy.Verify : shaping.Tls;
            foreach (var address in host.Addresses)
            {
                if (!_policy.Allows(address))
                {
                    failures.Add($"{host.Name}[{address}] is in a range delivery may not connect to");
                    continue;
                }
                if (source.Address is { } local && local.AddressFamily != address.AddressFamily)
                {
                    failures.Add($"{host.Name}[{address}] is not reachable from source {source.Name}'s address {local}");
                    continue;
                }
                var attempt = await TryHostAsync(domain, source, host.Name, address, tls, check, afterTlsFallback: false, cancellationToken);
                // A response rule that backs the source off or suspends it speaks for the site: its other hosts are not tried.
                if (attempt.Connection is not null || attempt.SourceFailed || attempt.Failure is { Rule: not null, SlowDown: true })
                {
                    return attempt;
                }
                failures.Add(attempt.Failure!.Reason);
                tlsFailures += attempt.Failure.Status == DeliveryOutcomeClassifier.TlsNotPossible ? 1 : 0;
            }
        }
        var detail = failures.Count == 0 ? "no addresses" : string.Join("; ", failures);
        return new ConnectResult(null, tlsFailures == failures.Count && tlsFailures > 0
            ? DeliveryOutcomeClassifier.TlsPolicyNotMet(detail)
            : DeliveryOutcomeClassifier.ConnectionFailed(detail));
    }

    private async Task<ConnectResult> TryHostAsync(
        string domain, EgressSource source, string host, IPAddress address, TlsPolicy tls, MtaStsPolicy? sts, bool afterTlsFallback, CancellationToken cancellationToken)
    {
        var name = $"{host}[{address}]";
        Socket? socket = null;
        SmtpClientConnection? client = null;
        try
        {
            var dialed = await _dialer.DialAsync(source, address, name, cancellationToken);
            if (dialed.Socket is not { } connected)
            {
                return dialed.Failed!;
            }
            socket = connected;
            var stream = new NetworkStream(socket, ownsSocket: false);
            client = new SmtpClientConnection(new StreamDuplexPipe(stream, leaveOpen: false), _client, _time, source.EhloName);
            var verification = new TlsVerification();
            var refusal = await OpenAsync(client, domain, host, tls, TlsOptions(host, tls, sts, verification), cancellationToken);
            CountMtaSts(domain, sts, refusal, client, verification);
            if (refusal is not null)
            {
                await DisposeAsync(client, socket);
                return new ConnectResult(null, refusal with { Reason = $"{name}: {refusal.Reason}" });
            }
            var endpoint = new MxEndpoint(host, address.ToString(), client.TlsProtocol is { } p ? TlsProtocolName.Of(p) : null, source.Name);
            _metrics.Connected(domain, source.Name, client.TlsProtocol is null ? "none" : tls == TlsPolicy.Verify ? "verified" : "encrypted");
            return new ConnectResult(new SmtpMxConnection(client, socket, endpoint, _time, _judge, afterTlsFallback), null);
        }
        catch (OpportunisticTlsFailedException)
        {
            // The session is unusable after a failed handshake: a new connection, without STARTTLS.
            await DisposeAsync(client, socket);
            _metrics.TlsFallback(domain);
            if (sts is not null)
            {
                _metrics.MtaStsCheck(domain, ModeLabel(sts), "tls_failed");
            }
            return await TryHostAsync(domain, source, host, address, TlsPolicy.Disabled, sts: null, afterTlsFallback: true, cancellationToken);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException
            && !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // Whatever failed (refused, timeout, TLS, a broken peer, no IPv6 on this host), this host will not do.
            await DisposeAsync(client, socket);
            var reason = exception is OperationCanceledException ? $"no connection within {_options.ConnectTimeout.TotalSeconds:0}s" : exception.Message;
            return new ConnectResult(null, DeliveryOutcomeClassifier.ConnectionFailed($"{name}: {reason}"));
        }
    }

    /// <summary>RFC 5321 5.1: an address literal is the host itself, no DNS; any other domain goes through MX resolution.</summary>
    private async Task<MxResolution> ResolveAsync(string domain, CancellationToken cancellationToken) =>
        AddressLiteral.TryParse(domain, out var address)
            ? new MxResolution(domain, MxResolutionKind.Resolved, [new MxHost(domain, 0, [address!])], $"{domain} is an address literal")
            : await _resolver.ResolveAsync(domain, cancellationToken);

    /// <summary>
    /// Verified TLS for the Verify policy (MTA-STS enforce included), else opportunistic; under an
    /// MTA-STS testing policy the opportunistic handshake also notes whether it would have verified.
    /// </summary>
    private SslClientAuthenticationOptions TlsOptions(string host, TlsPolicy tls, MtaStsPolicy? sts, TlsVerification verification) =>
        tls == TlsPolicy.Verify ? _roots.Verified(host)
        : sts is { Mode: MtaStsMode.Testing } ? _roots.Observed(host, verified => verification.Verified = verified)
        : SmtpTlsOptions.Opportunistic(host);

    /// <summary>One MTA-STS check per host session: valid, or tls_failed when TLS was missing or unverified.</summary>
    private void CountMtaSts(string domain, MtaStsPolicy? sts, DeliveryOutcome? refusal, SmtpClientConnection client, TlsVerification verification)
    {
        if (sts is null)
        {
            return;
        }
        var valid = sts.Mode == MtaStsMode.Enforce
            ? refusal is null
            : client.TlsProtocol is not null && verification.Verified == true;
        if (valid || refusal is null || refusal.Status == DeliveryOutcomeClassifier.TlsNotPossible)
        {
            _metrics.MtaStsCheck(domain, ModeLabel(sts), valid ? "valid" : "tls_failed");
        }
    }

    private static string ModeLabel(MtaStsPolicy policy) => policy.Mode == MtaStsMode.Enforce ? "enforce" : "testing";

    /// <summary>What an observing handshake found; set from the TLS callback.</summary>
    private sealed class TlsVerification
    {
        public bool? Verified { get; set; }
    }

    /// <summary>Greeting, EHLO and STARTTLS per policy; null when the session is ready, else why this host will not do.</summary>
    private async Task<DeliveryOutcome?> OpenAsync(
        SmtpClientConnection client, string domain, string host, TlsPolicy tls, SslClientAuthenticationOptions options, CancellationToken cancellationToken)
    {
        // RFC 5321 3.1 / 5.1: a host that greets with anything but 220 is skipped for the next one.
        var greeting = await client.ReadGreetingAsync(cancellationToken);
        if (greeting.Code != 220)
        {
            return _judge.Judge(DeliveryOutcomeClassifier.ConnectionFailed($"greeting {greeting}"), greeting, SmtpPhase.Greeting, domain, host);
        }
        var ehlo = await client.EhloAsync(cancellationToken);
        if (!ehlo.IsPositive)
        {
            return _judge.Judge(DeliveryOutcomeClassifier.ConnectionFailed($"EHLO/HELO refused: {ehlo}"), ehlo, SmtpPhase.Ehlo, domain, host);
        }
        if (tls == TlsPolicy.Disabled)
        {
            return null;
        }
        if (!client.Extensions.Has(SmtpExtension.StartTls))
        {
            return tls == TlsPolicy.Opportunistic ? null : DeliveryOutcomeClassifier.TlsPolicyNotMet("STARTTLS not offered");
        }
        // The reply is STARTTLS's own when it was refused, else the EHLO's that follows the handshake (RFC 3207 4.2).
        SmtpReply reply;
        try
        {
            reply = await client.StartTlsAsync(options, cancellationToken);
        }
        catch (SmtpProtocolException failed) when (failed.Fault == SmtpProtocolFault.TlsFailed)
        {
            // Opportunistic: retried in plaintext by the caller. Required: this host will not do (4.7.5).
            return tls == TlsPolicy.Opportunistic ? throw new OpportunisticTlsFailedException(failed) : DeliveryOutcomeClassifier.TlsPolicyNotMet(failed.Message);
        }
        if (client.TlsProtocol is null)
        {
            return tls == TlsPolicy.Opportunistic ? null : DeliveryOutcomeClassifier.TlsPolicyNotMet($"STARTTLS refused: {reply}");
        }
        return reply.IsPositive ? null : DeliveryOutcomeClassifier.ConnectionFailed($"EHLO after STARTTLS refused: {reply}");
    }

    /// <summary>An opportunistic STARTTLS handshake failed: the caller retries the host in plaintext.</summary>
    private sealed class OpportunisticTlsFailedException(Exception inner) : Exception(inner.Message, inner);

    private static async Task DisposeAsync(SmtpClientConnection? client, Socket? socket)
    {
        if (client is not null)
        {
            await client.DisposeAsync();
        }
        socket?.Dispose();
    }
}
