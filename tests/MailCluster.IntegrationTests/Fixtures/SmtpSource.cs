namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>Postfix's smtp-source as a load client: bounded count, parallel sessions, many messages per connection.</summary>
public static class SmtpSource
{
    public static Task<CommandResult> SendAsync(string server, int sessions, int messages, int sizeBytes, string recipient = "rcpt@dest.test") =>
        ExternalCommand.RunAsync(
            "/usr/sbin/smtp-source",
            ["-d", "-s", sessions.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", messages.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-l", sizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), "-f", "sender@source.test", "-t", recipient, server],
            TimeSpan.FromMinutes(3));
}
