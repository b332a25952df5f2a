using System.Net;
using MailCluster.Admin;
using MailCluster.Silo.Ingress;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Testing.IO;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Silo.Tests.Ingress;

public sealed class SubmissionCredentialsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void AHashVerifiesItsPasswordOnlyAndNeverHoldsIt()
    {
        var hash = PasswordHash.Create("s3cret", iterations: 1000);

        Assert.StartsWith("pbkdf2-sha256$1000$", hash, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", hash, StringComparison.Ordinal);
        Assert.True(PasswordHash.Verify("s3cret", hash));
        Assert.False(PasswordHash.Verify("s3cret ", hash));
        Assert.False(PasswordHash.Verify("s3cret", "pbkdf2-sha256$x$AAAA$AAAA"));
        Assert.NotEqual(hash, PasswordHash.Create("s3cret", iterations: 1000));
    }

    [Fact]
    public void UsersComeFromTheFileWithTheirDomainsAndAChangedFileIsReadAgain()
    {
        var path = Path.Combine(_directory.Path, "users");
        File.WriteAllLines(path, ["# submission users", $"Alice:{PasswordHash.Create("s3cret", 1000)}:client.test, news.client.test", string.Empty]);
        var users = new SubmissionUsers(path);

        var alice = users.Verify("alice", "s3cret");
        Assert.NotNull(alice);
        Assert.True(alice.MaySendAs("News.Client.test"));
        Assert.False(alice.MaySendAs("bank.test"));
        Assert.Null(users.Verify("alice", "wrong"));
        Assert.Null(users.Verify("mallory", "s3cret"));

        File.WriteAllLines(path, [$"bob:{PasswordHash.Create("other", 1000)}:bob.test"]);
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(5));
        Assert.Null(users.Verify("alice", "s3cret"));
        Assert.NotNull(users.Verify("bob", "other"));
        Assert.Equal("line 1 is not name:pbkdf2-sha256$ITERATIONS$SALT$HASH:domain,domain[:messages per hour[:recipients per message]]", WriteAndCheck("alice:plaintext:client.test"));
        Assert.NotNull(WriteAndCheck($"alice:{PasswordHash.Create("x", 1000)}:client.test:many"));
    }

    [Fact]
    public void FailuresAreAnsweredLaterEachTimeThenTheAddressIsBlockedForThePeriod()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var failures = new AuthFailures(3, TimeSpan.FromMinutes(10), time);
        var client = IPAddress.Parse("192.0.2.7");

        Assert.Equal([1, 2, 3], Enumerable.Range(0, 3).Select(_ => failures.Failed(client).TotalSeconds));
        Assert.True(failures.IsBlocked(client));
        Assert.False(failures.IsBlocked(IPAddress.Parse("192.0.2.8")));
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.False(failures.IsBlocked(client));
        Assert.Equal(1, failures.Failed(client).TotalSeconds);
        failures.Succeeded(client);
        Assert.Equal(1, failures.Failed(client).TotalSeconds);
    }

    [Fact]
    public void SubmissionNeedsTlsAndACredentialsFile()
    {
        var options = new IngressOptions { SubmissionListen = "127.0.0.1:2587" };

        Assert.Equal(
            [
                "Smtp:SubmissionListen and Smtp:ImplicitTlsListen need Smtp:TlsCertificatePath and Smtp:TlsKeyPath: credentials travel over TLS only",
                "Smtp:CredentialsFile is required with submission listeners",
            ],
            options.Validate());
    }

    private string WriteAndCheck(string line)
    {
        var path = Path.Combine(_directory.Path, "bad");
        File.WriteAllLines(path, [line]);
        return SubmissionUsers.Problem(path)!;
    }
}
