using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using MailCluster.Testing.IO;
using RabbitMQ.Client;

namespace MailCluster.Testing.Amqp;

/// <summary>
/// Debian's RabbitMQ server as a child process on loopback: its own node name, AMQP, distribution
/// and epmd ports, and its own directory (database, logs, Erlang cookie), so it never meets a
/// system broker. Started once per test assembly that needs it (a few seconds of Erlang boot);
/// stopped with its epmd on dispose. The test command installs the package when missing.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    public const string Server = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    private const string Control = "/usr/lib/rabbitmq/bin/rabbitmqctl";

    private static readonly TimeSpan s_bootTimeout = TimeSpan.FromSeconds(120);

    private readonly TempDirectory _directory = new("mailcluster-rabbitmq-");
    private readonly Dictionary<string, string> _environment;
    private readonly int _epmdPort;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private RabbitMqServer()
    {
        Port = LoopbackPorts.Next();
        _epmdPort = LoopbackPorts.Next();
        var node = $"mctest{Port}@localhost";
        File.WriteAllText(Path.Combine(_directory.Path, "enabled_plugins"), "[].\n");
        File.WriteAllText(Path.Combine(_directory.Path, "rabbitmq.conf"), $"listeners.tcp.default = 127.0.0.1:{Port}\nloopback_users.guest = true\n");
        File.WriteAllText(PasswordFile, "guest\n");
        _environment = new Dictionary<string, string>
        {
            ["HOME"] = _directory.Path,
            ["RABBITMQ_NODENAME"] = node,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = $"{Port}",
            ["RABBITMQ_DIST_PORT"] = $"{LoopbackPorts.Next()}",
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(_directory.Path, "rabbitmq"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(_directory.Path, "enabled_plugins"),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(_directory.Path, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(_directory.Path, "log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(_directory.Path, "rabbitmq.pid"),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["ERL_EPMD_PORT"] = $"{_epmdPort}",
        };
    }

    /// <summary>The broker's AMQP port on 127.0.0.1 (user guest, allowed from loopback only).</summary>
    public int Port { get; }

    /// <summary>The URL a sink is given; the password is in <see cref="PasswordFile"/>.</summary>
    public string Url => $"amqp://guest@127.0.0.1:{Port}/";

    public string PasswordFile => Path.Combine(_directory.Path, "password");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<RabbitMqServer> StartAsync()
    {
        var server = new RabbitMqServer();
        try
        {
            await server.BootAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection for the test's own side: declaring queues, reading what arrived.</summary>
    public Task<IConnection> ConnectAsync() =>
        new ConnectionFactory { HostName = "127.0.0.1", Port = Port, UserName = "guest", Password = "guest" }.CreateConnectionAsync();

    /// <summary>
    /// A durable queue bound to <paramref name="exchange"/> for every routing key. With
    /// <paramref name="rejectAll"/> it holds nothing and the broker nacks every publish routed to it
    /// (x-max-length 0, x-overflow reject-publish): a broker refusing messages.
    /// </summary>
    public async Task BindQueueAsync(string exchange, string queue, bool rejectAll = false)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false);
        var arguments = rejectAll ? new Dictionary<string, object?> { ["x-max-length"] = 0, ["x-overflow"] = "reject-publish" } : null;
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments);
        await channel.QueueBindAsync(queue, exchange, "#");
    }

    public async Task UnbindQueueAsync(string exchange, string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueUnbindAsync(queue, exchange, "#");
    }

    /// <summary>Takes every message waiting in <paramref name="queue"/>: its message id and body, in queue order.</summary>
    public async Task<List<(string? MessageId, string Body)>> TakeAllAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        var taken = new List<(string?, string)>();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
        {
            taken.Add((message.BasicProperties.MessageId, Encoding.UTF8.GetString(message.Body.Span)));
        }
        return taken;
    }

    /// <summary>Sets off the broker's memory alarm: it stops reading from publishers, so their confirms never come.</summary>
    public Task BlockPublishersAsync() => ControlAsync("set_vm_memory_high_watermark", "absolute", "1");

    /// <summary>Back to the default watermark (40% of memory): the alarm clears.</summary>
    public Task UnblockPublishersAsync() => ControlAsync("set_vm_memory_high_watermark", "0.4");

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        // The Erlang port mapper it started runs on, detached: it goes too.
        await RunAsync("/usr/bin/epmd", ["-port", $"{_epmdPort}", "-kill"], TimeSpan.FromSeconds(20), check: false);
        _directory.Dispose();
    }

    private async Task BootAsync()
    {
        var info = new ProcessStartInfo(Server) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in _environment)
        {
            info.Environment[name] = value;
        }
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, line) => Append(line.Data);
        _process.ErrorDataReceived += (_, line) => Append(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Polling.UntilAsync(
            async () => _process.HasExited || await AcceptsAsync(),
            s_bootTimeout,
            () => $"RabbitMQ did not listen on 127.0.0.1:{Port} within {s_bootTimeout.TotalSeconds} s:\n{Output}");
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"RabbitMQ exited with {_process.ExitCode}:\n{Output}");
        }
    }

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            await using var connection = await ConnectAsync();
            return true;
        }
        catch (Exception exception) when (exception is RabbitMQ.Client.Exceptions.BrokerUnreachableException or SocketException or IOException)
        {
            return false;
        }
    }

    private Task ControlAsync(params string[] arguments) =>
        RunAsync(Control, ["-n", _environment["RABBITMQ_NODENAME"], .. arguments], TimeSpan.FromSeconds(60), check: true);

    private async Task RunAsync(string program, string[] arguments, TimeSpan timeout, bool check)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in _environment)
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(timeout);
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
