using MailCluster.Spool;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor's claims of due recipients from the spool: started when its ready window wants
/// more, run beside the loop, and posted back as <see cref="DomainCommand.Claimed"/> (or
/// <see cref="DomainCommand.ClaimFailed"/>). Recipients claimed for an actor that has stopped
/// meanwhile go straight back to the queue through <paramref name="giveBack"/>.
/// </summary>
internal sealed class SpoolClaims(IDomainMailbox mailbox, IDeliveryQueue spool, Action<IReadOnlyList<DueRecipient>> giveBack)
{
    /// <summary>Starts a claim if the window wants one now, leaving the mail of pools that cannot send; its task (the caller awaits it before completing), or null.</summary>
    public Task? Refill(ReadyWindow ready, PoolExclusion? except, DateTimeOffset now) => ready.TryStartClaim(out var limit) ? ClaimAsync(now, limit, except) : null;

    private async Task ClaimAsync(DateTimeOffset now, int limit, PoolExclusion? except)
    {
        IReadOnlyList<DueRecipient> claimed;
        try
        {
            claimed = await spool.ClaimDueAsync(mailbox.Domain, now, limit, except, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            await mailbox.PostAsync(new DomainCommand.ClaimFailed(exception.Message));
            return;
        }
        if (!await mailbox.PostAsync(new DomainCommand.Claimed(claimed, limit)))
        {
            giveBack(claimed);
        }
    }
}
