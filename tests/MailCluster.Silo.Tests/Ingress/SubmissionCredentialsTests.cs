using System.Net;
using MailCluster.Admin;
using MailCluster.Cluster.Submission;
using MailCluster.Silo.Ingress;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Testing.IO;
using Microsoft.Extensions.Time.Testing;

namespace MailCluster.Silo.Tests.Ingress;

public sealed class SubmissionCredentialsTests : IDisposable
{
    // One hash for the format tests: a hash of the minimum iterations takes a while to make.
    private static readonly Lazy<string> s_hash = new(() => PasswordHash.Create("x", PasswordHash.MinimumIterations));

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
        File.WriteAllLines(path, ["# submission users", $"Alice:{PasswordHash.Create("s3cret", PasswordHash.MinimumIterations)}:client.test, news.client.test", string.Empty]);
        var users = new SubmissionUsers(path);

        var alice = users.Verify("alice", "s3cret");
        Assert.NotNull(alice);
        Assert.True(alice.MaySendAs("News.Client.test"));
        Assert.False(alice.MaySendAs("bank.test"));
        Assert.Null(users.Verify("alice", "wrong"));
        Assert.Null(users.Verify("mallory", "s3cret"));

        File.WriteAllLines(path, [$"bob:{PasswordHash.Create("other", PasswordHash.MinimumIterations)}:bob.test"]);
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(5));
        Assert.Null(users.Verify("alice", "s3cret"));
        Assert.NotNull(users.Verify("bob", "other"));
        Assert.Equal("line 1 is not name:pbkdf2-sha256$ITERATIONS$SALT$HASH:domain,domain[:messages per hour[:recipients per message[:pool]]]", WriteAndCheck("alice:plaintext:client.test"));
        Assert.NotNull(WriteAndCheck($"alice:{PasswordHash.Create("x", PasswordHash.MinimumIterations)}:client.test:many"));
    }

    [Theory]
    [InlineData("", null, null, null)]
    [InlineData(":10:5:bulk", 10, 5, "bulk")]
    [InlineData(":::Bulk-2_a.b", null, null, "Bulk-2_a.b")]
    [InlineData("::5:bulk", null, 5, "bulk")]
    [InlineData(":10:5:", 10, 5, null)]
    [InlineData(":::", null, null, null)]
    [InlineData(":::bulk  ", null, null, "bulk")]
    public void ASixthFieldNamesTheUsersPoolAndAnEmptyOneNone(string after, int? hourly, int? recipients, string? pool)
    {
        var (entries, errors) = CredentialsFile.Parse([$"alice:{s_hash.Value}:client.test{after}"]);

        Assert.Empty(errors);
        Assert.Equal((hourly, recipients, pool), (entries[0].MessagesPerHour, entries[0].RecipientsPerMessage, entries[0].Pool));
    }

    [Theory]
    [InlineData(":::bulk pool", "line 1 names pool 'bulk pool'; a pool name is 1-64 letters, digits, '-', '_' or '.'")]
    [InlineData(":::b\u00fclk", "line 1 names pool 'b\u00fclk'; a pool name is 1-64 letters, digits, '-', '_' or '.'")]
    [InlineData(":::bulk/1", "line 1 names pool 'bulk/1'; a pool name is 1-64 letters, digits, '-', '_' or '.'")]
    [InlineData(":1:2:bulk:extra", "line 1 is not " + CredentialsFile.Format)]
    [InlineData(":1:2::", "line 1 is not " + CredentialsFile.Format)]
    [InlineData(":x::bulk", "line 1 is not " + CredentialsFile.Format)]
    public void APoolFieldKeepsTheEgressNameRuleAndASeventhFieldIsRefused(string after, string error)
    {
        var (entries, errors) = CredentialsFile.Parse([$"alice:{s_hash.Value}:client.test{after}"]);

        Assert.Empty(entries);
        Assert.Equal(error, Assert.Single(errors));
    }

    [Fact]
    public void APoolNameOfSixtyFiveOctetsIsRefusedAndOneOfSixtyFourKept()
    {
        var (entries, errors) = CredentialsFile.Parse([$"alice:{s_hash.Value}:client.test:::{new string('p', 64)}", $"bob:{s_hash.Value}:client.test:::{new string('p', 65)}"]);

        Assert.Equal(new string('p', 64), Assert.Single(entries).Pool);
        Assert.StartsWith("line 2 names pool 'ppp", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void AnAuthenticatedUserCarriesThePoolOfItsLine()
    {
        var path = Path.Combine(_directory.Path, "users");
        File.WriteAllLines(path, [$"alice:{s_hash.Value}:client.test:::bulk", $"bob:{s_hash.Value}:client.test"]);
        var users = new SubmissionUsers(path);

        Assert.Equal("bulk", users.Verify("Alice", "x")!.Pool);
        Assert.Null(users.Verify("bob", "x")!.Pool);
        Assert.Equal("bulk", users.Find("alice")!.Pool);
    }

    [Fact]
    public void FailuresAreAnsweredLaterEachTimeThenTheAddressIsBlockedForThePeriod()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var failures = new AuthFailures(3, 100, TimeSpan.FromMinutes(10), time);
        var client = IPAddress.Parse("192.0.2.7");

        Assert.Equal([1, 2, 3], Enumerable.Range(0, 3).Select(_ => failures.Begin(client, "alice")!.AnswerDelay.TotalSeconds));
        Assert.True(failures.IsClientBlocked(client));
        Assert.Null(failures.Begin(client, "alice"));
        Assert.False(failures.IsClientBlocked(IPAddress.Parse("192.0.2.8")));
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.False(failures.IsClientBlocked(client));
        Assert.Equal(1, failures.Begin(client, "alice")!.AnswerDelay.TotalSeconds);
    }

    [Fact]
    public void ASuccessWithdrawsOnlyItsOwnAttemptSoLoggingInAsOneselfForgivesNoGuess()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var failures = new AuthFailures(5, 100, TimeSpan.FromMinutes(10), time);
        var client = IPAddress.Parse("192.0.2.7");

        // Four guesses at bob, then mallory logs in as herself, over and over: the guesses stay counted.
        for (var round = 0; round < 3; round++)
        {
            for (var guess = 0; guess < 4 && failures.Begin(client, "bob") is not null; guess++)
            {
            }
            failures.Begin(client, "mallory")?.Withdraw();
        }
        Assert.True(failures.IsClientBlocked(client));
    }

    [Fact]
    public void AttemptsCountBeforeTheirPasswordIsCheckedSoParallelOnesGetNoMoreGuesses()
    {
        var failures = new AuthFailures(5, 100, TimeSpan.FromMinutes(10), new FakeTimeProvider());
        var client = IPAddress.Parse("192.0.2.7");

        // 100 connections start at once: none of them has failed yet.
        var started = Enumerable.Range(0, 100).Select(i => failures.Begin(client, "bob" + i)).ToArray();

        Assert.Equal(5, started.Count(a => a is not null));
    }

    [Fact]
    public void AnIpv6ClientIsCountedByItsSlash64AndAnIpv4ClientByItsAddress()
    {
        var failures = new AuthFailures(3, 100, TimeSpan.FromMinutes(10), new FakeTimeProvider());

        for (var host = 1; host <= 3; host++)
        {
            Assert.NotNull(failures.Begin(IPAddress.Parse($"2001:db8:1:2::{host:x}"), "bob"));
        }
        Assert.True(failures.IsClientBlocked(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:ffff")));
        Assert.False(failures.IsClientBlocked(IPAddress.Parse("2001:db8:1:3::1")));
        Assert.Equal("192.0.2.7", AuthFailures.ClientKey(IPAddress.Parse("::ffff:192.0.2.7")));
        Assert.Equal("2001:db8:1:2::/64", AuthFailures.ClientKey(IPAddress.Parse("2001:db8:1:2:abcd::9")));
    }

    [Fact]
    public void AUserIsLockedAfterItsFailuresFromAnyNumberOfAddressesKnownOrNot()
    {
        var failures = new AuthFailures(5, 10, TimeSpan.FromMinutes(10), new FakeTimeProvider());

        for (var i = 0; i < 10; i++)
        {
            Assert.NotNull(failures.Begin(IPAddress.Parse($"192.0.2.{i + 1}"), "alice"));
            Assert.NotNull(failures.Begin(IPAddress.Parse($"198.51.100.{i + 1}"), "nobody-by-this-name"));
        }
        Assert.Null(failures.Begin(IPAddress.Parse("203.0.113.1"), "alice"));
        Assert.Null(failures.Begin(IPAddress.Parse("203.0.113.1"), "nobody-by-this-name"));
        Assert.True(failures.IsUserBlocked("alice"));
        Assert.False(failures.IsClientBlocked(IPAddress.Parse("203.0.113.1")));
        Assert.NotNull(failures.Begin(IPAddress.Parse("203.0.113.1"), "carol"));
    }

    [Fact]
    public void TheAuthGateRefusesChecksBeyondItsBoundUntilOneEnds()
    {
        var gate = new AuthCheckGate(2);
        using var first = gate.TryEnter();
        var second = gate.TryEnter();

        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(gate.TryEnter());
        second!.Dispose();
        second.Dispose();
        using var third = gate.TryEnter();
        Assert.NotNull(third);
        Assert.Null(gate.TryEnter());
    }

    [Fact]
    public void AParallelSessionCannotPassTheHourlyLimitBeforeAnotherCommitsAndAnAbandonedPlaceComesBack()
    {
        var hourly = new HourlyCounts(new FakeTimeProvider());

        var first = hourly.TryReserve("bulk", 2);
        var second = hourly.TryReserve("bulk", 2);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(hourly.TryReserve("bulk", 2));
        second!.Dispose();
        first!.Commit();
        first.Dispose();
        Assert.Equal(1, hourly.SentInTheLastHour("bulk"));
        Assert.NotNull(hourly.TryReserve("bulk", 2));
    }

    [Fact]
    public void AUserNameIsCanonicalSoLookAlikeSpellingsAreOneUser()
    {
        // U+212A KELVIN SIGN lowercases to "k": it finds user kelvin, so it must be counted as kelvin.
        Assert.Equal("kelvin", SubmissionUsers.Canonical("\u212Aelvin"));
        Assert.Equal("kelvin", SubmissionUsers.Canonical("Kelvin"));
    }

    [Fact]
    public void AUserNameIsLoggedQuotedWithLineBreaksAndControlsEscapedAndItsLengthBounded()
    {
        Assert.Equal("\"bob\\u000d\\u000a2026-12-06 info: admin authenticated\"", LogText.Quote("bob\r\n2026-12-06 info: admin authenticated"));
        Assert.Equal("\"a\\u0022b\\u005cc\\u202ed\"", LogText.Quote("a\"b\\c\u202Ed"));
        Assert.InRange(LogText.Quote(new string('x', 10_000)).Length, 128, 132);
    }

    [Fact]
    public void AHashWithFewerIterationsThanTheMinimumIsRefusedAtLoad()
    {
        Assert.Equal(
            $"line 1 has a hash of 1000 iterations; at least {PasswordHash.MinimumIterations} are required",
            WriteAndCheck($"alice:{PasswordHash.Create("x", 1000)}:client.test"));
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
