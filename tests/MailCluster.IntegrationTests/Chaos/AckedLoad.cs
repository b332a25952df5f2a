using System.Collections.Concurrent;
using MailCluster.IntegrationTests.Fixtures;

namespace MailCluster.IntegrationTests.Chaos;

/// <summary>
/// SMTP clients sending to whichever silo they pick, through every fault, and recording what the
/// cluster promised: each recipient answered 250 at RCPT in a transaction whose DATA got 250.
/// A transaction cut short (silo killed, paused, draining) promised nothing. Recipients are unique
/// and carry the sink's cues: <c>defer-once+</c>, <c>ratelimit-once+</c>, <c>bounce+</c>, and
/// now and then a <c>stallN+</c> recipient that makes the sink hold the message's DATA.
/// </summary>
internal sealed class AckedLoad(IReadOnlyList<SiloProcess> silos, string domain, string sender, int seed) : IAsyncDisposable
{
    public const int RecipientsPerMessage = 3;

    // Bounded in count as well as stopped by the test: at most this many transactions are tried.
    private const int MaxTransactions = 200_000;

    private readonly ConcurrentDictionary<string, byte> _acked = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _clients = [];
    private int _next;
    private int _tried;
    private int _ackedMessages;

    public int AckedMessages => Volatile.Read(ref _ackedMessages);

    public int Tried => Volatile.Read(ref _tried);

    public IReadOnlyCollection<string> AckedRecipients => [.. _acked.Keys];

    /// <summary>Starts <paramref name="clients"/> senders, each pausing <paramref name="pace"/> between transactions.</summary>
    public void Start(int clients, TimeSpan pace)
    {
        for (var i = 0; i < clients; i++)
        {
            var random = new Random(seed + (7919 * (i + 1)));
            _clients.Add(Task.Run(() => SendUntilStoppedAsync(random, pace)));
        }
    }

    /// <summary>A recipient address of this run, unique, with <paramref name="cue"/> as its local part's prefix.</summary>
    public string NewRecipient(string cue) => $"{cue}{Interlocked.Increment(ref _next)}@{domain}";

    /// <summary>One transaction to one silo; its recipients are recorded if it was accepted, and it says whether it was.</summary>
    public async Task<bool> SendAsync(SiloProcess silo, IReadOnlyList<string> recipients)
    {
        Interlocked.Increment(ref _tried);
        try
        {
            using var client = new RawSmtpClient();
            if (!(await client.ConnectAsync(silo.SmtpPort)).StartsWith("220", StringComparison.Ordinal)
                || !(await client.CommandAsync("EHLO load.test")).StartsWith("250", StringComparison.Ordinal)
                || !(await client.CommandAsync($"MAIL FROM:<{sender}>")).StartsWith("250", StringComparison.Ordinal))
            {
                return false;
            }
            var accepted = new List<string>();
            foreach (var recipient in recipients)
            {
                if ((await client.CommandAsync($"RCPT TO:<{recipient}>")).StartsWith("250", StringComparison.Ordinal))
                {
                    accepted.Add(recipient);
                }
            }
            if (accepted.Count == 0 || !(await client.CommandAsync("DATA")).StartsWith("354", StringComparison.Ordinal))
            {
                return false;
            }
            await client.SendAsync($"Subject: chaos {recipients[0]}\r\n\r\nAcked load of the chaos run.\r\n.\r\n");
            if (!(await client.ReadReplyAsync()).StartsWith("250", StringComparison.Ordinal))
            {
                return false;
            }
            foreach (var recipient in accepted)
            {
                _acked[recipient] = 0;
            }
            Interlocked.Increment(ref _ackedMessages);
            await client.CommandAsync("QUIT");
            return true;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // The silo died, paused or closed mid-transaction: what it had not acknowledged was not promised.
            return false;
        }
    }

    /// <summary>Stops the senders and waits until each has finished its transaction.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task SendUntilStoppedAsync(Random random, TimeSpan pace)
    {
        while (!_stop.IsCancellationRequested && Tried < MaxTransactions)
        {
            var silo = silos[random.Next(silos.Count)];
            if (!silo.HasExited)
            {
                await SendAsync(silo, [.. Enumerable.Range(0, RecipientsPerMessage).Select(_ => NewRecipient(Cue(random)))]);
            }
            // The load's pace is a chosen rate, not a wait for state.
            await Task.Delay(pace, CancellationToken.None);
        }
    }

    // Per mille. A 421 backs the whole site off and halves its connection budget, so it stays rare.
    private static string Cue(Random random) => random.Next(1000) switch
    {
        < 60 => "bounce+",
        < 160 => "defer-once+",
        < 163 => "ratelimit-once+",
        < 173 => "stall2+",
        _ => "r",
    };
}
