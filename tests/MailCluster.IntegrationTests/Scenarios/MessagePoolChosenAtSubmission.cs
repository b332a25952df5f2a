using MailCluster.IntegrationTests.Fixtures;
using MailCluster.Testing.Dkim;
using MailCluster.Testing.IO;

namespace MailCluster.IntegrationTests.Scenarios;

/// <summary>
/// Each message's egress pool, chosen at submission: by the submission user's credentials line,
/// else by the X-MailCluster-Pool header of a trusted client, else the default. The sink records
/// the client address each message came from (the pool's source); the header never reaches it, and
/// the DKIM signature made at acceptance still verifies with dkimpy. An unknown pool is refused.
/// </summary>
[Trait("Category", "Integration")]
public sealed class MessagePoolChosenAtSubmission
{
    private const string Mx = "127.0.16.2";
    private const string Transactional = "127.0.0.51";
    private const string Bulk = "127.0.0.52";

    [Fact]
    public async Task TheUsersPoolThenATrustedClientsHeaderThenTheDefaultPickTheSourceAndTheHeaderIsNeverSentOn()
    {
        using var files = new TempDirectory();
        var key = DkimTestKey.Rsa(files.Path, "client.test", "mc2026");
        var (cert, tlsKey) = TestCertificate.WritePem(files.Path, "silo.test");
        var credentials = Path.Combine(files.Path, "users");
        await AddUserAsync(credentials, "alice", "--pool", "transactional");
        await AddUserAsync(credentials, "bob");
        var submission = LoopbackPorts.Next();
        string[] zone = ["mx-host=dest.test,mx.dest.test,10", $"host-record=mx.dest.test,{Mx}", key.DnsmasqLine];
        await using var world = await MailWorld.StartAsync(
            zone, [Mx], 0,
            [
                .. key.Arguments(0),
                "--Egress:Sources:0:Name=tx", $"--Egress:Sources:0:Address={Transactional}",
                "--Egress:Sources:1:Name=bulk", $"--Egress:Sources:1:Address={Bulk}",
                "--Egress:Pools:0:Name=transactional", "--Egress:Pools:0:Sources:0:Name=tx",
                "--Egress:Pools:1:Name=bulk", "--Egress:Pools:1:Sources:0:Name=bulk",
                "--Egress:DefaultPool=bulk",
                // Only 127.0.0.1 is trusted: a client on 127.0.0.9 must authenticate, and its header is not trusted.
                "--Smtp:TrustedNetworks=127.0.0.1/32",
                $"--Smtp:TlsCertificatePath={cert}", $"--Smtp:TlsKeyPath={tlsKey}",
                $"--Smtp:SubmissionListen=127.0.0.1:{submission}", $"--Smtp:CredentialsFile={credentials}",
            ]);
        var relay = world.Silo.SmtpAddress;
        var submit = $"127.0.0.1:{submission}";

        // alice's line names "transactional": her header asking for bulk changes nothing.
        await SendAsync(relay: submit, "alice@client.test", "user-pool", "bulk", "--tls", "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "s3cret");
        // A trusted client (127.0.0.1, no AUTH) picks the pool with the header.
        await SendAsync(relay, "app@client.test", "header-pool", "transactional");
        // A trusted client without the header: the default pool.
        await SendAsync(relay, "app@client.test", "default-pool", header: null);
        // bob has no pool and sends from 127.0.0.9, outside the trusted networks: his header is removed and ignored.
        await SendAsync(submit, "bob@client.test", "untrusted-header", "transactional", "--local-interface", "127.0.0.9", "--tls", "--auth", "PLAIN", "--auth-user", "bob", "--auth-password", "s3cret");
        // A pool nobody configured is refused at DATA, naming it.
        var unknown = await Swaks.SendAsync(relay, "app@client.test", "carol@dest.test", "--header", "Subject: unknown-pool", "--header", "X-MailCluster-Pool: platinum");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Matches("550 5.7.1 .*'platinum'", unknown.Output);

        var received = await world.Sink(Mx).WaitForMessagesAsync(4, TimeSpan.FromSeconds(60), world.Context);
        var peers = received.ToDictionary(m => Subject(m), m => m.Peer);
        Assert.Equal(Transactional, peers["user-pool"]);
        Assert.Equal(Transactional, peers["header-pool"]);
        Assert.Equal(Bulk, peers["default-pool"]);
        Assert.Equal(Bulk, peers["untrusted-header"]);
        Assert.All(received, m => Assert.DoesNotContain("X-MailCluster-Pool", m.Content, StringComparison.OrdinalIgnoreCase));

        var verified = await Dkimpy.VerifyAsync(world, received.Select(m => Dkimpy.Write(files.Path, m, Subject(m))));
        Assert.True(verified.ExitCode == 0, verified.ToString());
        Assert.Equal(4, verified.Output.Split('\n').Count(l => l.Contains(": pass d=client.test", StringComparison.Ordinal)));
        await world.WaitForEmptySpoolAsync();
    }

    private static async Task SendAsync(string relay, string from, string subject, string? header, params string[] options)
    {
        string[] headers = header is null ? ["--header", $"Subject: {subject}"] : ["--header", $"Subject: {subject}", "--header", $"X-MailCluster-Pool: {header}"];
        var sent = await Swaks.SendAsync(relay, from, "carol@dest.test", [.. headers, .. options]);
        Assert.True(sent.ExitCode == 0, sent.ToString());
    }

    private static string Subject(SinkMessage message) =>
        message.Content.Split("\r\n").First(l => l.StartsWith("Subject: ", StringComparison.Ordinal))["Subject: ".Length..];

    private static async Task AddUserAsync(string credentials, string name, params string[] options)
    {
        var added = await ExternalCommand.RunAsync(
            "dotnet", [RepositoryLayout.MailctlDll, "user", "add", name, "client.test", "--file", credentials, .. options], TimeSpan.FromSeconds(60), standardInput: "s3cret\n");
        Assert.True(added.ExitCode == 0, added.ToString());
    }
}
