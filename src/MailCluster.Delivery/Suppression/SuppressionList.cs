using MailCluster.Delivery.Responses;
using System.Collections.Concurrent;
using MailCluster.Hosting;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MailCluster.Delivery.Suppression;

/// <summary>
/// Addresses that must not be mailed again: hard bounces (<see cref="SuppressionOptions.Categories"/>, a response rule's <c>Suppress</c>)
/// and operators' additions. Lookups are answered from this silo's cache, never from storage, so a
/// check at RCPT costs a dictionary lookup and a storage outage cannot fail it (the cache stays as
/// it was). The cache follows the store: loaded before the silo accepts mail, then read again every
/// <see cref="SuppressionOptions.RefreshInterval"/> for other silos' changes; this silo's own changes
/// count at once.
/// </summary>
public sealed partial class SuppressionList : BackgroundService
{
    /// <summary>How long the start waits for the first load before accepting mail with what it has.</summary>
    public static readonly TimeSpan FirstLoadTimeout = TimeSpan.FromSeconds(15);

    private readonly ISuppressionStore _store;
    private readonly SuppressionOptions _options;
    private readonly HashSet<EnhancedStatusCode> _statuses;
    private readonly HashSet<ReplyCategory> _categories;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, SuppressionEntry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private PeriodicTimer? _refresh;
    private string? _cursor;
    private readonly OutageLog _outage;

    internal SuppressionList(ISuppressionStore store, SuppressionOptions options, TimeProvider time, ILogger logger)
    {
        _store = store;
        _options = options;
        _statuses = [.. options.StatusList()];
        _categories = [.. options.CategoryList()];
        _time = time;
        _outage = new OutageLog((_, exception) => StoreUnreachable(logger, exception.GetType().Name, exception.Message), () => StoreBack(logger));
    }

    /// <summary>Addresses suppressed now, as this silo knows them.</summary>
    public int Count => _entries.Values.Count(e => e.Suppressed);

    public bool IsSuppressed(string address) => _entries.TryGetValue(SuppressionAddress.Canonical(address), out var entry) && entry.Suppressed;

    /// <summary>A remote permanent failure with one of these statuses suppresses the address.</summary>
    /// <summary>A recipient's permanent failure of one of <see cref="SuppressionOptions.Categories"/> (or, as before them, <see cref="SuppressionOptions.Statuses"/>).</summary>
    internal bool IsHardBounce(EnhancedStatusCode status, ReplyCategory category) => _categories.Contains(category) || _statuses.Contains(status);

    public IReadOnlyList<SuppressionEntry> List() => [.. _entries.Values.Where(e => e.Suppressed).OrderBy(e => e.Address, StringComparer.OrdinalIgnoreCase)];

    /// <summary>Suppresses the address (durably first); false when it already was.</summary>
    public async Task<bool> AddAsync(string address, string reason, CancellationToken cancellationToken) =>
        await ChangeAsync([address], true, reason, cancellationToken) > 0;

    /// <summary>Suppresses the addresses with one durable write (an import); returns how many were not suppressed before.</summary>
    public Task<int> AddManyAsync(IEnumerable<string> addresses, string reason, CancellationToken cancellationToken) =>
        ChangeAsync(addresses, true, reason, cancellationToken);

    /// <summary>Lifts the suppression (durably first); false when the address was not suppressed.</summary>
    public async Task<bool> RemoveAsync(string address, CancellationToken cancellationToken) =>
        await ChangeAsync([address], false, "removed by operator", cancellationToken) > 0;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Made here, not in ExecuteAsync (which the host runs on another thread): the period counts from the start.
        _refresh = new PeriodicTimer(_options.RefreshInterval, _time);
        using var first = new Deadline(FirstLoadTimeout, _time, cancellationToken);
        await RefreshAsync(first.Token);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (await _refresh!.WaitForNextTickAsync(stoppingToken))
        {
            await RefreshAsync(stoppingToken);
        }
    }

    private async Task<int> ChangeAsync(IEnumerable<string> addresses, bool suppressed, string reason, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var changes = addresses.Select(SuppressionAddress.Canonical).Distinct(StringComparer.Ordinal)
            .Where(address => IsSuppressed(address) != suppressed)
            // Later than what this silo knows of the address, even if the silo that wrote that runs ahead of this clock.
            .Select(address => new SuppressionEntry(address, suppressed, reason, _entries.TryGetValue(address, out var known) && known.At >= now ? known.At.AddTicks(1) : now))
            .ToList();
        if (changes.Count > 0)
        {
            await _store.WriteAsync(changes, cancellationToken);
            changes.ForEach(Apply);
        }
        return changes.Count;
    }

    /// <summary>Reads the store's changes since the last read; without an answer the cache stays as it is.</summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var changes = await _store.ReadChangesAsync(_cursor, cancellationToken);
            foreach (var entry in changes.Entries)
            {
                Apply(entry);
            }
            _cursor = changes.Cursor;
            _outage.Answered();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            _outage.Failed("read", exception);
        }
    }

    public override void Dispose()
    {
        _refresh?.Dispose();
        base.Dispose();
    }

    /// <summary>The newest change of an address wins, so changes read twice do no harm.</summary>
    private void Apply(SuppressionEntry entry)
    {
        // Entries another silo or an older build wrote are compared in the same form.
        var canonical = entry with { Address = SuppressionAddress.Canonical(entry.Address) };
        _entries.AddOrUpdate(canonical.Address, canonical, (_, known) => canonical.At >= known.At ? canonical : known);
    }

    [LoggerMessage(2050, LogLevel.Warning, "The suppression list's store does not answer ({Kind}: {Reason}); lookups use this silo's copy until it does")]
    private static partial void StoreUnreachable(ILogger logger, string kind, string reason);

    [LoggerMessage(2051, LogLevel.Information, "The suppression list's store answers again")]
    private static partial void StoreBack(ILogger logger);
}
