using System.Buffers;
using System.Text;
using MailCluster.Mime.Dkim;
using MailCluster.Silo.Ingress;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using MailCluster.Testing.Dkim;
using MailCluster.Testing.IO;

namespace MailCluster.Silo.Tests.Ingress;

public sealed class AuthorshipSigningTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TestMeterFactory _meters = new();

    public void Dispose()
    {
        _meters.Dispose();
        _directory.Dispose();
    }

    private AuthorshipSigning Signing(DkimOptions? dkim = null, SubmissionUsers? users = null) =>
        IngressParts.Signing(dkim ?? new DkimOptions(), users ?? new SubmissionUsers(null), new IngressMetrics(_meters, () => 0));

    private DkimOptions KeyFor(string domain, bool required = false)
    {
        var key = DkimTestKey.Ed25519(_directory.Path, domain, "s1");
        return new DkimOptions { Keys = [new() { Domain = key.Domain, Selector = key.Selector, KeyFile = key.KeyFile, Algorithm = key.Algorithm }], Required = required };
    }

    private static MessageContent Message(string text) => MessageContent.Of(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)));

    private static string Head(SpoolContent content) => Encoding.ASCII.GetString(content.Head.ToArray());

    [Fact]
    public void WithoutKeysTheMessageIsSpooledAsReceived()
    {
        var body = Message("From: a@client.test\r\n\r\nbody\r\n");

        Assert.True(Signing().TrySign(IngressParts.Session("127.0.0.1"), body, out var content, out _));

        Assert.Equal(0, content.Head.Length);
        Assert.Same(body, content.Rest);
    }

    [Fact]
    public void AFromLineInTheBodyIsNoSecondFromField()
    {
        Assert.True(Signing().TrySign(IngressParts.Session("127.0.0.1"), Message("From: a@client.test\r\n\r\nFrom: ceo@bank.test\r\n"), out _, out _));
        Assert.False(Signing().TrySign(IngressParts.Session("127.0.0.1"), Message("From: a@client.test\r\nfrom: ceo@bank.test\r\n\r\nbody\r\n"), out _, out var refusal));
        Assert.Equal(SmtpReplies.MoreThanOneFrom, refusal);
    }

    [Fact]
    public void ASignedMessageCarriesItsSignatureBeforeItsContent()
    {
        var body = Message("From: a@client.test\r\nSubject: hi\r\n\r\nbody\r\n");

        Assert.True(Signing(KeyFor("client.test")).TrySign(IngressParts.Session("127.0.0.1"), body, out var content, out _));

        Assert.StartsWith("DKIM-Signature:", Head(content), StringComparison.Ordinal);
        Assert.Contains("d=client.test", Head(content), StringComparison.Ordinal);
        Assert.Same(body, content.Rest);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MailWithoutAKeyForItsDomainGoesUnsignedUnlessSigningIsRequired(bool required)
    {
        var signed = Signing(KeyFor("client.test", required)).TrySign(IngressParts.Session("127.0.0.1"), Message("From: a@other.test\r\n\r\nbody\r\n"), out var content, out var refusal);

        Assert.Equal(!required, signed);
        Assert.Equal(required ? SmtpReplies.UnsignedRefused : default, refusal);
        Assert.Equal(0, content.Head.Length);
    }

    [Theory]
    [InlineData("From: a@client.test\r\n", true)]
    [InlineData("From: A <a@Client.Test>\r\nSender: b@client.test\r\n", true)]
    [InlineData("From: a@client.test\r\nSender: ceo@bank.test\r\n", false)]
    [InlineData("Subject: no author\r\n", false)]
    public void AnAuthenticatedUsersAuthorsMustAllBeInItsDomains(string fields, bool allowed)
    {
        var users = IngressParts.Users(_directory.Path, "alice:{0}:client.test");

        var signed = Signing(users: users).TrySign(IngressParts.Session("192.0.2.9", "alice"), Message(fields + "\r\nbody\r\n"), out _, out var refusal);

        Assert.Equal(allowed, signed);
        Assert.Equal(allowed ? default : SmtpReplies.SenderNotAllowed, refusal);
    }

    [Fact]
    public void AnAuthenticatedUserNoLongerInTheFileIsRefused()
    {
        var users = IngressParts.Users(_directory.Path, "alice:{0}:client.test");

        Assert.False(Signing(users: users).TrySign(IngressParts.Session("192.0.2.9", "mallory"), Message("From: a@client.test\r\n\r\nbody\r\n"), out _, out var refusal));
        Assert.Equal(SmtpReplies.SenderNotAllowed, refusal);
    }
}
