namespace MailCluster.Events;

/// <summary>A sink's choice of events (<see cref="EventSinkOptions.Kinds"/>, <see cref="EventSinkOptions.Users"/>, <see cref="EventSinkOptions.Pools"/>); empty lists choose all.</summary>
internal sealed class EventFilter(EventSinkOptions options)
{
    private readonly HashSet<EventKind> _kinds = [.. options.KindList()];
    private readonly HashSet<string> _users = new(options.UserList(), StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _pools = new(options.PoolList(), StringComparer.OrdinalIgnoreCase);

    public bool ChoosesAll => _kinds.Count == 0 && _users.Count == 0 && _pools.Count == 0;

    /// <summary>An event that cannot be read (written by a later version) passes: the receiver decides, nothing is lost.</summary>
    public bool Passes(ReadOnlySpan<byte> json)
    {
        if (ChoosesAll || DeliveryEvent.FromJson(json) is not { } happened)
        {
            return true;
        }
        return (_kinds.Count == 0 || _kinds.Contains(happened.Kind))
            && (_users.Count == 0 || (happened.User is { } user && _users.Contains(user)))
            && (_pools.Count == 0 || (happened.Pool is { } pool && _pools.Contains(pool)));
    }
}
