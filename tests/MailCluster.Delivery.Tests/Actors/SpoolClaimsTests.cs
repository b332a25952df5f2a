using System.Buffers;
using MailCluster.Delivery.Actors;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;

namespace MailCluster.Delivery.Tests.Actors;

public sealed class SpoolClaimsTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private readonly RecordingMailbox _mailbox = new();
    private readonly List<DueRecipient> _givenBack = [];

    private SpoolClaims Claims(IDeliveryQueue queue) => new(_mailbox, queue, _givenBack.AddRange);

    [Fact]
    public async Task AClaimStartsOnlyWhenTheWindowWantsOneAndPostsWhatItGot()
    {
        var queue = new Queue(due: 3);
        var claims = Claims(queue);
        var ready = new ReadyWindow(capacity: 10);

        var claim = claims.Refill(ready, except: null, s_now);
        Assert.NotNull(claim);
        Assert.Null(claims.Refill(ready, except: null, s_now));
        await claim;

        var claimed = Assert.IsType<DomainCommand.Claimed>(Assert.Single(_mailbox.Posted));
        Assert.Equal((3, 10), (claimed.Recipients.Count, claimed.Requested));
        Assert.Equal(("dest.test", s_now), (queue.Domain, queue.Now));
        Assert.Empty(_givenBack);
    }

    [Fact]
    public async Task WhatIsClaimedForAStoppedActorGoesStraightBack()
    {
        _mailbox.Closed = true;

        await Claims(new Queue(due: 2)).Refill(new ReadyWindow(capacity: 4), except: null, s_now)!;

        Assert.Equal(2, _givenBack.Count);
    }

    [Fact]
    public async Task AFailedClaimIsPostedSoTheWindowMayTryAgain()
    {
        await Claims(new Queue(due: 0, fail: true)).Refill(new ReadyWindow(capacity: 4), except: null, s_now)!;

        var failed = Assert.IsType<DomainCommand.ClaimFailed>(Assert.Single(_mailbox.Posted));
        Assert.Contains("disk gone", failed.Reason, StringComparison.Ordinal);
    }

    /// <summary>A queue with <c>due</c> recipients of the domain (or one that cannot be read); only claims are asked of it.</summary>
    private sealed class Queue(int due, bool fail = false) : IDeliveryQueue
    {
        public string? Domain { get; private set; }

        public DateTimeOffset Now { get; private set; }

        public ValueTask<IReadOnlyList<DueRecipient>> ClaimDueAsync(string domain, DateTimeOffset now, int limit, PoolExclusion? except, CancellationToken cancellationToken)
        {
            (Domain, Now) = (domain, now);
            if (fail)
            {
                throw new SpoolUnavailableException("disk gone");
            }
            var message = new SpoolMessage("Q1", "s@client.test", now, 10, null, DsnReturn.Unspecified, false, false);
            return ValueTask.FromResult<IReadOnlyList<DueRecipient>>(
                [.. Enumerable.Range(0, Math.Min(due, limit)).Select(i => new DueRecipient(i, new EnvelopeRecipient($"r{i}@{domain}", domain, DsnNotify.Unspecified, null), 0, message))]);
        }

        public ValueTask<IReadOnlyList<string>> GetDueDomainsAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<DateTimeOffset?> GetNextDueTimeAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<bool> ReadContentAsync(string queueId, IBufferWriter<byte> destination, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask RecordOutcomesAsync(IReadOnlyList<RecipientOutcome> outcomes, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
