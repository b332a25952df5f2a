using MailCluster.Silo.Ingress;
using MailCluster.Silo.Ingress.Submission;
using MailCluster.Smtp.Protocol;

namespace MailCluster.Silo.Tests.Ingress;

public sealed class EnvelopeAdmissionTests : IAsyncDisposable
{
    private static readonly Mailbox s_bob = new("bob", "dest.test");

    private readonly IngressTestBed _bed = new();

    public ValueTask DisposeAsync() => _bed.DisposeAsync();

    private EnvelopeAdmission Admission(SubmissionUsers? users = null) =>
        IngressParts.Admission(_bed.Suppressions, users ?? new SubmissionUsers(null), new IngressMetrics(_bed.Meters, () => 0), _bed.Time);

    [Fact]
    public void OnlyTheTrustedNetworksRelayWithoutAuthentication()
    {
        var admission = Admission();

        Assert.Null(admission.AuthorizeRecipient(IngressParts.Session("127.0.0.9"), s_bob, 0));
        Assert.Equal(SmtpReplies.RelayDenied, admission.AuthorizeRecipient(IngressParts.Session("192.0.2.9"), s_bob, 0));
    }

    [Fact]
    public async Task AnAuthenticatedUserRelaysFromAnyAddressButNotToASuppressedRecipient()
    {
        var admission = Admission(IngressParts.Users(_bed.Directory.Path, "alice:{0}:client.test"));
        var alice = IngressParts.Session("192.0.2.9", "alice");
        Assert.Null(admission.AuthorizeRecipient(alice, s_bob, 0));

        await _bed.Suppressions.AddAsync("bob@dest.test", "5.1.1 from mx.dest.test", CancellationToken.None);

        Assert.Equal(SmtpReplies.Suppressed, admission.AuthorizeRecipient(alice, s_bob, 0));
    }

    [Fact]
    public void AUsersRecipientLimitCountsTheRecipientsAcceptedBefore()
    {
        var admission = Admission(IngressParts.Users(_bed.Directory.Path, "bulk:{0}:client.test:100:2"));
        var bulk = IngressParts.Session("192.0.2.9", "bulk");

        Assert.Null(admission.AuthorizeRecipient(bulk, s_bob, 1));
        // RFC 5321 4.5.3.1.10: 452, so the client sends the rest in another transaction.
        Assert.Equal(SmtpReplies.UserRecipientLimit, admission.AuthorizeRecipient(bulk, s_bob, 2));
        // A trusted relay has no such limit.
        Assert.Null(admission.AuthorizeRecipient(IngressParts.Session("127.0.0.1"), s_bob, 5000));
    }

    [Fact]
    public void ARelayClientSendsAsAnySenderWithoutAReservation()
    {
        var transaction = IngressParts.Transaction("ceo@bank.test");

        Assert.Null(Admission().AuthorizeSender(IngressParts.Session("127.0.0.1"), transaction));
        Assert.Null(transaction.Reservation);
    }

    [Theory]
    [InlineData("a@client.test", true)]
    // RFC 5321 2.4: domain names are case-insensitive.
    [InlineData("a@CLIENT.test", true)]
    [InlineData("a@client.test.", true)]
    [InlineData("a@sub.client.test", false)]
    [InlineData("ceo@bank.test", false)]
    // The null reverse-path names no domain; From: is checked at the end of DATA.
    [InlineData(null, true)]
    public void AnAuthenticatedUserSendsOnlyAsItsOwnDomains(string? sender, bool allowed)
    {
        var admission = Admission(IngressParts.Users(_bed.Directory.Path, "alice:{0}:client.test"));

        var refusal = admission.AuthorizeSender(IngressParts.Session("192.0.2.9", "alice"), IngressParts.Transaction(sender));

        Assert.Equal(allowed ? null : SmtpReplies.SenderNotAllowed, refusal);
    }

    [Fact]
    public void TheHourlyPlaceIsTakenAtMailAndGivenBackWhenTheTransactionLetsItGo()
    {
        var admission = Admission(IngressParts.Users(_bed.Directory.Path, "once:{0}:client.test:1"));
        var once = IngressParts.Session("192.0.2.9", "once");
        var first = IngressParts.Transaction();

        Assert.Null(admission.AuthorizeSender(once, first));
        Assert.NotNull(first.Reservation);
        Assert.Equal(SmtpReplies.UserHourlyLimit, admission.AuthorizeSender(once, IngressParts.Transaction()));

        first.Reservation!.Dispose();
        Assert.Null(admission.AuthorizeSender(once, IngressParts.Transaction()));
    }

    [Fact]
    public void AUserNoLongerInTheFileSendsAsNoDomain()
    {
        var admission = Admission(IngressParts.Users(_bed.Directory.Path, "alice:{0}:client.test"));

        Assert.Equal(SmtpReplies.SenderNotAllowed, admission.AuthorizeSender(IngressParts.Session("192.0.2.9", "mallory"), IngressParts.Transaction()));
    }
}
