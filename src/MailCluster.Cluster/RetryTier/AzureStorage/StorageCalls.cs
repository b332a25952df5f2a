using System.Collections.Concurrent;
using Azure;

namespace MailCluster.Cluster.RetryTier.AzureStorage;

/// <summary>
/// Every storage call of the tier, counted by kind and outcome, and tried a second time here (not
/// in the SDK, whose clients are built with no retries) so a caller learns when an answer came to
/// a repeated request: a 404 or 409 then may mean the first request was carried out and only its
/// reply was lost. Also creates queues, the container and the table once per process.
/// </summary>
internal sealed class StorageCalls(RetryTierMetrics metrics, TimeProvider time)
{
    private static readonly TimeSpan s_pauseBeforeRetry = TimeSpan.FromMilliseconds(200);

    private readonly ConcurrentDictionary<string, Lazy<Task>> _created = new(StringComparer.Ordinal);

    /// <summary>A call whose 404 and 409 answers are failures like any other.</summary>
    public async Task<T> CallAsync<T>(string kind, Func<Task<T>> call) => (await AnswerAsync(kind, call)).Value;

    /// <summary>A call whose answer says who owns the entry, and whether it answered a repeated request.</summary>
    public async Task<StorageAnswer<T>> AnswerAsync<T>(string kind, Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var value = await call();
                metrics.Operation(kind, ok: true);
                return new StorageAnswer<T>(value, Repeated: attempt > 0);
            }
            catch (RequestFailedException e) when (IsVerdict(e))
            {
                // A verdict, not a failure: the entry is another consumer's, or the thing exists.
                metrics.Operation(kind, ok: true);
                throw new StorageVerdictException(e, repeated: attempt > 0);
            }
            catch (Exception e) when (attempt == 0 && IsTransient(e))
            {
                await Task.Delay(s_pauseBeforeRetry, time);
            }
            catch (Exception)
            {
                metrics.Operation(kind, ok: false);
                throw;
            }
        }
    }

    /// <summary>Creates a queue, container or table once per process; a failed creation is tried again next time.</summary>
    public async Task OnceAsync(string key, Func<Task> create)
    {
        var lazy = _created.GetOrAdd(key, _ => new Lazy<Task>(create));
        try
        {
            await lazy.Value;
        }
        catch
        {
            _created.TryRemove(new KeyValuePair<string, Lazy<Task>>(key, lazy));
            throw;
        }
    }

    /// <summary>Another consumer owns the entry (Azure answers 404, Azurite 3.37 400 PopReceiptMismatch), or a name is taken (409).</summary>
    private static bool IsVerdict(RequestFailedException e) =>
        e.Status is 404 or 409 || (e.Status == 400 && e.ErrorCode == "PopReceiptMismatch");

    private static bool IsTransient(Exception e) => e switch
    {
        RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500,
        // The SDK's network timeout; a cancellation of ours is not retried.
        OperationCanceledException o => o.InnerException is TimeoutException,
        _ => e is HttpRequestException or IOException or TimeoutException,
    };
}

/// <summary>A storage call's value, and whether it came from the second try.</summary>
internal readonly record struct StorageAnswer<T>(T Value, bool Repeated);

/// <summary>A 404, 409 or stale-receipt answer; <see cref="Repeated"/> when it answered the second try, whose first may have landed.</summary>
internal sealed class StorageVerdictException(RequestFailedException inner, bool repeated)
    : Exception(inner.Message, inner)
{
    public int Status { get; } = inner.Status;

    public bool Repeated { get; } = repeated;
}
