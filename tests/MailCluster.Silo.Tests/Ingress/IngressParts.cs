using System.Globalization;
using System.Net;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Suppression;
using MailCluster.Mime.Dkim;
using MailCluster.Silo.Ingress;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;
using MailCluster.Smtp.Server;
using MailCluster.Spool;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailCluster.Silo.Tests.Ingress;

/// <summary>The session host's parts as <c>IngressServices</c> composes them, over what a test provides; 127.0.0.0/8 is the trusted network.</summary>
internal static class IngressParts
{
    public static EnvelopeAdmission Admission(SuppressionList suppressions, SubmissionUsers users, IngressMetrics metrics, TimeProvider time) =>
        new(Relay(), suppressions, users, new HourlyCounts(time), metrics);

    /// <summary>The egress pools of a silo without an <c>Egress</c> section (the implicit pool <c>default</c>), or of <paramref name="egress"/>.</summary>
    public static EgressPoolNames PoolNames(EgressOptions? egress = null)
    {
        egress ??= new EgressOptions();
        Assert.Empty(egress.Validate());
        return new(EgressPlan.From(egress, "silo.test"), egress.PoolHeader);
    }

    public static PoolChoice Pools(SubmissionUsers users, IngressMetrics metrics, EgressPoolNames? names = null) =>
        new(names ?? PoolNames(), Relay(), users, metrics);

    public static AuthorshipSigning Signing(DkimOptions dkim, SubmissionUsers users, IngressMetrics metrics) =>
        new(new MessageSigner(DkimKeyRing.From(dkim), TimeProvider.System), dkim, users, metrics);

    public static TraceFields Trace(TimeProvider time) => new(new QueueIdGenerator(time, new Random(1)), time);

    public static MessageCommit Commit(ISpoolIntake spool, PoolChoice pools, AuthorshipSigning signing, IngressMetrics metrics, DeliveryTrigger delivery, TimeProvider time, IngressEvents? events = null) =>
        new(spool, pools, signing, events ?? Events(null, time), metrics, delivery, time, NullLogger<MessageCommit>.Instance);

    /// <summary>Ingress's events through <paramref name="recorder"/>; none without one.</summary>
    public static IngressEvents Events(MailCluster.Events.EventRecorder? recorder, TimeProvider time) => new(recorder, time, NullLogger<IngressEvents>.Instance);

    public static Authenticator Authenticator(SubmissionUsers users, IngressMetrics metrics, TimeProvider time) =>
        new(users, new AuthFailures(5, 10, TimeSpan.FromMinutes(10), time), new AuthCheckGate(4), metrics, time, NullLogger<Authenticator>.Instance);

    public static SpoolingSessionHost Host(
        ISpoolIntake spool, SuppressionList suppressions, DkimOptions dkim, SubmissionUsers users, IngressMetrics metrics, DeliveryTrigger delivery, TimeProvider time, EgressPoolNames? pools = null,
        IngressEvents? events = null, FeedbackLoop? feedback = null)
    {
        events ??= Events(null, time);
        return new(
            Admission(suppressions, users, metrics, time),
            Authenticator(users, metrics, time),
            Trace(time),
            Commit(spool, Pools(users, metrics, pools), Signing(dkim, users, metrics), metrics, delivery, time, events),
            events,
            feedback ?? Feedback(suppressions, metrics, time, spoolPath: ""),
            metrics);
    }

    /// <summary>Feedback loops at <paramref name="addresses"/> (none by default), their kept reports under <paramref name="spoolPath"/>.</summary>
    public static FeedbackLoop Feedback(SuppressionList suppressions, IngressMetrics metrics, TimeProvider time, string spoolPath, string addresses = "", MailCluster.Events.EventRecorder? events = null)
    {
        var options = new FeedbackLoopOptions { Addresses = addresses };
        Assert.Empty(options.Validate());
        return new(options, suppressions, events, spoolPath, metrics, time, NullLogger<FeedbackLoop>.Instance);
    }

    /// <summary>Users from one credentials line whose hash is written <c>{0}</c> (the password is "pw"), loaded as an AUTH loads them.</summary>
    public static SubmissionUsers Users(string directory, string line)
    {
        var file = Path.Combine(directory, "users");
        File.WriteAllText(file, string.Format(CultureInfo.InvariantCulture, line, MailCluster.Admin.PasswordHash.Create("pw", MailCluster.Admin.PasswordHash.MinimumIterations)) + "\n");
        var users = new SubmissionUsers(file);
        Assert.NotNull(users.Verify(line.Split(':')[0], "pw"));
        return users;
    }

    public static SmtpSessionInfo Session(string remote, string? user = null) =>
        new(new IPEndPoint(IPAddress.Parse(remote), 40000), new IPEndPoint(IPAddress.Loopback, 25), "silo.test") { AuthenticatedUser = user };

    public static SmtpTransaction Transaction(string? sender = "a@client.test", params string[] recipients)
    {
        var transaction = new SmtpTransaction(new ReversePath(sender is null ? null : Mailbox(sender)), MailParameters.None);
        foreach (var recipient in recipients)
        {
            transaction.Add(new Recipient(Mailbox(recipient), RcptParameters.None));
        }
        return transaction;
    }

    private static RelayPolicy Relay() => new([IPNetwork.Parse("127.0.0.0/8")]);

    private static Mailbox Mailbox(string address) => new(address[..address.IndexOf('@', StringComparison.Ordinal)], address[(address.IndexOf('@', StringComparison.Ordinal) + 1)..]);
}
