using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// Submission (RFC 6409) on its own listeners: swaks authenticates with PLAIN and LOGIN over
/// STARTTLS and over implicit TLS (RFC 8314), an authenticated user relays from an untrusted
/// address but only as its own domains, and repeated failures are slowed, then blocked with 421.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SubmissionWithAuth
{
    [Fact]
    public async Task AuthenticatedUsersRelayAsTheirOwnDomainsAndGuessersAreBlocked()
    {
        using var files = new TempDirectory();
        var (cert, key, credentials) = await AliceAsync(files.Path);

        using var spool = new TempDirectory();
        var (submission, implicitTls) = (LoopbackPorts.Next(), LoopbackPorts.Next());
        // Loopback is not trusted here: only an authenticated session may relay.
        await using var silo = new SiloProcess(
            spool.Path, "--Smtp:TrustedNetworks=192.0.2.0/24", $"--Smtp:TlsCertificatePath={cert}", $"--Smtp:TlsKeyPath={key}",
            $"--Smtp:SubmissionListen=127.0.0.1:{submission}", $"--Smtp:ImplicitTlsListen=127.0.0.1:{implicitTls}",
            $"--Smtp:CredentialsFile={credentials}", "--Smtp:MaxAuthFailures=3");
        await silo.StartAsync();

        var plain = await Swaks.SendAsync($"127.0.0.1:{submission}", "alice@client.test", "bob@dest.test", "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret");
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Contains("235 2.7.0 Authentication successful", plain.Output, StringComparison.Ordinal);
        var login = await Swaks.SendAsync($"127.0.0.1:{implicitTls}", "alice@news.client.test", "bob@dest.test", "--tlsc", "--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "s3cret");
        Assert.True(login.ExitCode == 0, login.ToString());

        // Another domain in MAIL FROM, or in From: behind an allowed envelope, is refused.
        var otherSender = await Swaks.SendAsync($"127.0.0.1:{submission}", "alice@bank.test", "bob@dest.test", "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret");
        Assert.Contains("550 5.7.1 This user may not send as that sender domain", otherSender.Output, StringComparison.Ordinal);
        var otherFrom = await Swaks.SendAsync($"127.0.0.1:{submission}", "alice@client.test", "bob@dest.test", "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret", "--header", "From: ceo@bank.test");
        Assert.Contains("550 5.7.1 This user may not send as that sender domain", otherFrom.Output, StringComparison.Ordinal);

        // Without AUTH, submission refuses mail; the relay port refuses the untrusted client.
        var anonymous = await Swaks.SendAsync($"127.0.0.1:{submission}", "alice@client.test", "bob@dest.test", "--tls");
        Assert.Contains("530 5.7.0 Authentication required", anonymous.Output, StringComparison.Ordinal);

        // Guessing: the same answer for a wrong password and an unknown user, then 421 for the address.
        foreach (var (user, password) in new[] { ("alice", "guess1"), ("mallory", "guess2"), ("alice", "guess3") })
        {
            var guess = await Swaks.SendAsync($"127.0.0.1:{submission}", "alice@client.test", "bob@dest.test", "--tls", "--auth", "PLAIN", "--auth-user", user, "--auth-password", password);
            Assert.NotEqual(0, guess.ExitCode);
            Assert.Matches("(535 5.7.8 Authentication credentials invalid|421 4.7.0 Too many failed authentications)", guess.Output);
        }
        var blocked = await Swaks.SendAsync($"127.0.0.1:{submission}", "alice@client.test", "bob@dest.test", "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret");
        Assert.Contains("421 4.7.0 Too many failed authentications", blocked.Output, StringComparison.Ordinal);

        Assert.Equal(new Spool.SpoolCounts(2, 2, 0), await SpoolInspector.CountAsync(spool.Path));
    }

    [Fact]
    public async Task AnAuthenticatedSessionNoLongerCountsAgainstItsClientsConnectionLimit()
    {
        using var files = new TempDirectory();
        var (cert, key, credentials) = await AliceAsync(files.Path);
        using var spool = new TempDirectory();
        var implicitTls = LoopbackPorts.Next();
        await using var silo = new SiloProcess(
            spool.Path, "--Smtp:TrustedNetworks=192.0.2.0/24", "--Smtp:MaxConnectionsPerClient=1", $"--Smtp:TlsCertificatePath={cert}", $"--Smtp:TlsKeyPath={key}",
            $"--Smtp:ImplicitTlsListen=127.0.0.1:{implicitTls}", $"--Smtp:CredentialsFile={credentials}");
        await silo.StartAsync();

        // One session of an untrusted client holds its only slot until it authenticates; then a second fits.
        const string Script = """
            import smtplib, ssl, sys
            port = int(sys.argv[1])
            context = ssl._create_unverified_context()
            def connect():
                try:
                    return smtplib.SMTP_SSL("127.0.0.1", port, context=context, timeout=30)
                except smtplib.SMTPConnectError as e:
                    print("refused", e.smtp_code)
            first = connect()
            connect()
            first.login("alice", "s3cret")
            second = connect()
            print("second greeted", second is not None)
            second.quit()
            first.quit()
            """;
        var run = await ExternalCommand.RunAsync("/usr/bin/python3", ["-c", Script, $"{implicitTls}"], TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["refused 421", "second greeted True"], run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    /// <summary>A STARTTLS certificate, and a credentials file where alice (password s3cret) may send as client.test and news.client.test.</summary>
    private static async Task<(string Certificate, string Key, string Credentials)> AliceAsync(string directory)
    {
        var (cert, key) = TestCertificate.WritePem(directory, "silo.test");
        var credentials = Path.Combine(directory, "users");
        var added = await ExternalCommand.RunAsync(
            "dotnet", [RepositoryLayout.MailctlDll, "user", "add", "alice", "client.test,news.client.test", "--file", credentials], TimeSpan.FromSeconds(60), standardInput: "s3cret\n");
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.DoesNotContain("s3cret", await File.ReadAllTextAsync(credentials), StringComparison.Ordinal);
        return (cert, key, credentials);
    }
}
