using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MailCluster.Smtp.Client;

namespace MailCluster.Events.Sinks;

/// <summary>
/// POSTs each batch as a JSON array of events to <see cref="EventSinkOptions.Url"/>, signed
/// (<see cref="WebhookSignature"/>). Any 2xx is taken; 410 Gone disables the sink; anything else
/// (another status, a refused or broken connection, no answer in time) is a failure, retried.
/// Redirects are not followed: a receiver that moved says so with its status, and the signed body
/// never goes to a host nobody configured.
/// </summary>
internal sealed class WebhookSink : IEventSink
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    private readonly Uri _url;
    private readonly byte[] _secret;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    public WebhookSink(EventSinkOptions options, TimeProvider time)
    {
        _url = new Uri(options.Url);
        _secret = Encoding.UTF8.GetBytes(File.ReadAllText(options.SecretFile).Trim());
        _time = time;
        X509Certificate2Collection? roots = null;
        if (options.CaCertificateFile is { Length: > 0 } ca)
        {
            roots = [];
            roots.ImportFromPemFile(ca);
        }
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // The handler sets the target host (SNI and the name check) from the request.
            SslOptions = SmtpTlsOptions.Verified(string.Empty, roots),
        };
        // The runner's deadline (EventSinkOptions.Timeout, on the injected clock) bounds each POST.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task DeliverAsync(EventBatch batch, CancellationToken cancellationToken)
    {
        var body = Body(batch.Events);
        var timestamp = WebhookSignature.Timestamp(_time.GetUtcNow());
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = s_json;
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp);
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(_secret, timestamp, body));
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException exception)
        {
            throw new EventSinkException($"POST {_url} failed: {exception.Message}", inner: exception);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return;
            }
            var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            throw response.StatusCode == HttpStatusCode.Gone
                ? new EventSinkException($"{_url} answered {status}: the receiver is gone", disables: true)
                : new EventSinkException($"{_url} answered {status}");
        }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The stored events are JSON objects already: the body is them, comma-separated, in brackets.</summary>
    private static byte[] Body(IReadOnlyList<ReadOnlyMemory<byte>> events)
    {
        var length = 2 + Math.Max(0, events.Count - 1);
        for (var i = 0; i < events.Count; i++)
        {
            length += events[i].Length;
        }
        var body = new byte[length];
        var at = 0;
        body[at++] = (byte)'[';
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                body[at++] = (byte)',';
            }
            events[i].Span.CopyTo(body.AsSpan(at));
            at += events[i].Length;
        }
        body[at] = (byte)']';
        return body;
    }
}
