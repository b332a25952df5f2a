namespace MailCluster.IntegrationTests.Fixtures;

/// <summary>Waits on state another process reaches in its own time: asks again every <c>every</c> until it holds, bounded.</summary>
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
}
