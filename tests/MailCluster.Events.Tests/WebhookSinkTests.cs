using System.Text;
using MailCluster.Events.Sinks;
using MailCluster.Testing.IO;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Events.Tests;

/// <summary>The webhook sink against a real HTTPS receiver whose certificate a private CA issued.</summary>
public sealed class WebhookSinkTests : EventSinkConformanceTests, IAsyncLifetime
{
    private const string Secret = "0123456789abcdef-secret";

    private static readonly DateTimeOffset s_now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(s_now);
    private WebhookReceiver _receiver = null!;
    private IEventSink _sink = null!;
    private string _caFile = null!;

    private protected override IEventSink Sink => _sink;

    private protected override Task<IReadOnlyList<string>> ReceivedAsync() =>
        Task.FromResult<IReadOnlyList<string>>([.. _receiver.Posts.Where(p => _receiver.Status is >= 200 and < 300).SelectMany(p => Elements(p.Body))]);

    private protected override Task ReceiverFailsAsync()
    {
        _receiver.Status = 500;
        return Task.CompletedTask;
    }

    private protected override Task ReceiverHangsAsync()
    {
        _receiver.Status = null;
        return Task.CompletedTask;
    }

    public async Task InitializeAsync()
    {
        using var authority = TestCertificate.CreateAuthority();
        _caFile = Path.Combine(_directory.Path, "ca.pem");
        File.WriteAllText(_caFile, authority.ExportCertificatePem());
        _receiver = await WebhookReceiver.StartAsync(TestCertificate.Issue(authority, "localhost"));
        _sink = new WebhookSink(Options(_receiver.Url), _time);
    }

    [Fact]
    public async Task EachPostIsSignedOverItsTimestampAndBody()
    {
        await Sink.DeliverAsync(Batch([Event("a", EventKind.Delivery), Event("b", EventKind.Bounce)]), CancellationToken.None);

        var (timestamp, signature, body) = Assert.Single(_receiver.Posts);
        Assert.Equal(s_now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), timestamp);
        Assert.True(WebhookSignature.Verify(Encoding.UTF8.GetBytes(Secret), timestamp!, body, signature!));
        Assert.False(WebhookSignature.Verify(Encoding.UTF8.GetBytes(Secret), timestamp!, [.. body, (byte)' '], signature!));
        Assert.False(WebhookSignature.Verify(Encoding.UTF8.GetBytes(Secret), (s_now.ToUnixTimeSeconds() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), body, signature!));
    }

    [Fact]
    public async Task AReceiverThatIsGoneDisablesTheSink()
    {
        _receiver.Status = 410;

        var failure = await Assert.ThrowsAsync<EventSinkException>(() => Sink.DeliverAsync(Batch([Event("a", EventKind.Bounce)]), CancellationToken.None));

        Assert.True(failure.Disables);
    }

    [Fact]
    public void TheSignatureIsTheDocumentedHmac()
    {
        // Computed apart with Python: hmac.new(b"0123456789abcdef-secret", b'1796630400.[{"id":"1"}]', hashlib.sha256).hexdigest()
        Assert.Equal(
            "v1=db5be1fdde6776e41a582f60ae26d91d7691f706901de6d8585d3c65024537c2",
            WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), "1796630400", "[{\"id\":\"1\"}]"u8));
    }

    [Fact]
    public async Task ARedirectIsNotFollowed()
    {
        await using var moved = new WebhookSink(Options(new Uri(_receiver.Url, "/moved")), _time);

        var failure = await Assert.ThrowsAsync<EventSinkException>(() => moved.DeliverAsync(Batch([Event("a", EventKind.Delivery)]), CancellationToken.None));

        Assert.Contains("308", failure.Message, StringComparison.Ordinal);
        Assert.Empty(_receiver.Posts);
    }

    [Fact]
    public async Task AReceiverWhoseCertificateTheConfiguredCaDidNotIssueIsRefused()
    {
        using var stranger = TestCertificate.CreateAuthority("Someone Else's CA");
        var strangerFile = Path.Combine(_directory.Path, "stranger.pem");
        File.WriteAllText(strangerFile, stranger.ExportCertificatePem());
        var options = Options(_receiver.Url);
        options.CaCertificateFile = strangerFile;
        await using var distrusting = new WebhookSink(options, _time);

        await Assert.ThrowsAsync<EventSinkException>(() => distrusting.DeliverAsync(Batch([Event("a", EventKind.Delivery)]), CancellationToken.None));

        Assert.Empty(_receiver.Posts);
    }

    public async Task DisposeAsync()
    {
        await _sink.DisposeAsync();
        await _receiver.DisposeAsync();
        _directory.Dispose();
    }

    private EventSinkOptions Options(Uri url)
    {
        var secret = Path.Combine(_directory.Path, "secret");
        File.WriteAllText(secret, "  " + Secret + "\n");
        var options = new EventSinkOptions { Name = "hooks", Url = url.ToString(), SecretFile = secret, CaCertificateFile = _caFile };
        Assert.Empty(options.Validate("Events:Sinks:0"));
        return options;
    }
}
