namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>Postfix's smtp-source as a load client: bounded count, parallel sessions, many messages per connection.</summary>
public static class SmtpSource
{
    /// <param name="recipientsPerMessage">smtp-source's -r: each message goes to this many recipients, named by a number put before <paramref name="recipient"/>.</param>
    public static Task<CommandResult> SendAsync(string server, int sessions, int messages, int sizeBytes, string recipient = "rcpt@dest.test", int recipientsPerMessage = 1) =>
        ExternalCommand.RunAsync(
            "/usr/sbin/smtp-source",
            ["-d", "-s", sessions.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", messages.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-l", sizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "-r", recipientsPerMessage.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-f", "sender@source.test", "-t", recipient, server],
            TimeSpan.FromMinutes(3));
}
