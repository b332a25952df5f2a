using Xunit;

namespace MailCluster.Testing;

/// <summary>
/// Waits for state that another thread or process reaches in its own time, where there is no event
/// to await: asks again every <c>every</c> until it holds, and fails with a description after the bound.
/// </summary>
public static class Polling
{
    /// <summary>Calls <paramref name="check"/> until it returns true; fails with <paramref name="failure"/> after <paramref name="timeout"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> check, TimeSpan timeout, Func<string> failure, TimeSpan? every = null)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!await check())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail(failure());
            }
            await Task.Delay(every ?? TimeSpan.FromMilliseconds(250), CancellationToken.None);
        }
    }

    /// <summary>The same for state in this process, asked every 10 ms for at most 10 s.</summary>
    public static Task UntilAsync(Func<bool> condition, string what) =>
        UntilAsync(() => Task.FromResult(condition()), TimeSpan.FromSeconds(10), () => $"{what} did not happen within 10 s", TimeSpan.FromMilliseconds(10));
}
