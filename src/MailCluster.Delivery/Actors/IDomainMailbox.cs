namespace MailCluster.Delivery.Actors;

/// <summary>
/// A domain actor as its helpers see it (connection workers, spool claims, lookups, the site's
/// wake): a bounded mailbox they post to, since only the actor's loop may touch its state.
/// </summary>
internal interface IDomainMailbox
{
    string Domain { get; }

    /// <summary>Posts without waiting; false when the mailbox is full or the actor has stopped.</summary>
    bool TryPost(DomainCommand command);

    /// <summary>Posts, waiting for room; false when the actor has stopped.</summary>
    ValueTask<bool> PostAsync(DomainCommand command);
}
