using System.Net.Http.Headers;
using System.Net.Sockets;
using MailCluster.Delivery.Egress;
using MailCluster.Dns.Mx;

namespace MailCluster.Delivery.MtaSts;

/// <summary>
/// Reads the TXT record through our resolver and fetches the policy over HTTPS. The policy host is
/// resolved by our resolver too (a <see cref="SocketsHttpHandler.ConnectCallback"/>), not the
/// system's, and its addresses pass the same address policy as MX hosts, so a hostile domain cannot
/// point the fetch at internal services. The certificate is checked against the system store, or
/// against <c>Delivery:TrustedRootsFile</c> when set.
/// </summary>
internal sealed class HttpsMtaStsSource : IMtaStsSource, IDisposable
{
    /// <summary>RFC 8461 3.3: senders may limit the policy's size; 64 KiB is the RFC's suggestion.</summary>
    private const int MaxPolicyBytes = 64 * 1024;

    private readonly MxResolver _resolver;
    private readonly MxAddressPolicy _addresses;
    private readonly HttpClient _http;

    public HttpsMtaStsSource(MxResolver resolver, MxAddressPolicy addresses, TrustedRoots roots, MtaStsOptions options)
    {
        _resolver = resolver;
        _addresses = addresses;
        var handler = new SocketsHttpHandler
        {
            // RFC 8461 3.3: redirects must not be followed.
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectCallback = ConnectAsync,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            // The handler sets the target host (SNI and name check) from the request.
            SslOptions = roots.Verified(string.Empty),
        };
        _http = new HttpClient(handler) { Timeout = options.FetchTimeout, MaxResponseContentBufferSize = MaxPolicyBytes };
    }

    public Task<TextRecords> LookupRecordAsync(string domain, CancellationToken cancellationToken) =>
        _resolver.LookupTextAsync($"_mta-sts.{domain}", cancellationToken);

    public async Task<string> FetchPolicyAsync(string domain, CancellationToken cancellationToken)
    {
        var uri = new Uri($"https://mta-sts.{domain}/.well-known/mta-sts.txt");
        try
        {
            using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseContentRead, cancellationToken);
            if (response.StatusCode != System.Net.HttpStatusCode.OK)
            {
                throw new MtaStsFetchException($"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            // RFC 8461 3.2: the policy's media type is text/plain.
            if (response.Content.Headers.ContentType is not MediaTypeHeaderValue { MediaType: "text/plain" })
            {
                throw new MtaStsFetchException($"{uri} is {response.Content.Headers.ContentType?.MediaType ?? "untyped"}, not text/plain");
            }
            return await response.Content.ReadAsStringAsync(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new MtaStsFetchException(e is TaskCanceledException
                ? $"{uri}: no answer within {_http.Timeout.TotalSeconds:0}s"
                : $"{uri}: {Flatten(e)}", e);
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var resolved = await _resolver.ResolveAddressesAsync(host, cancellationToken);
        var allowed = resolved.Addresses.Where(_addresses.Allows).ToList();
        if (allowed.Count == 0)
        {
            throw new HttpRequestException(resolved.Failure ?? $"{host} has only addresses delivery may not connect to");
        }
        var failures = new List<string>();
        foreach (var address in allowed)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(address, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failures.Add($"{address}: {e.Message}");
            }
        }
        throw new HttpRequestException($"no address of {host} answered: {string.Join("; ", failures)}");
    }

    /// <summary>The chain of messages, since HttpClient wraps the telling one (a TLS or socket error) inside.</summary>
    private static string Flatten(Exception e) =>
        string.Join(": ", Enumerable.Repeat(e, 1).Concat(Inner(e)).Select(x => x.Message).Distinct());

    private static IEnumerable<Exception> Inner(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            yield return inner;
        }
    }

    public void Dispose() => _http.Dispose();
}
