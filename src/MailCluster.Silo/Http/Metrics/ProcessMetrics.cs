using System.Globalization;
using Prometheus;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// The standard <c>process_*</c> metrics that every Prometheus client exports, read from /proc as
/// client_golang's procfs collector does. Nothing is written where /proc is missing (not Linux).
/// </summary>
internal sealed class ProcessMetrics
{
    // USER_HZ: /proc reports CPU and start times in ticks of 1/100 s on every Linux architecture.
    private const double TicksPerSecond = 100;

    private readonly Counter _cpu;
    private readonly Gauge _resident;
    private readonly Gauge _virtual;
    private readonly Gauge _startTime;
    private readonly Gauge _openFds;
    private readonly Gauge _maxFds;

    // prometheus-net's DotNetStats names these otherwise (process_working_set_bytes, no open/max fds),
    // and the dashboard and alerts query the client_golang names.
    public ProcessMetrics(MetricFactory factory)
    {
        _cpu = factory.CreateCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Suppressed<CounterConfiguration>());
        _resident = factory.CreateGauge("process_resident_memory_bytes", "Resident memory size in bytes.", Suppressed<GaugeConfiguration>());
        _virtual = factory.CreateGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", Suppressed<GaugeConfiguration>());
        _startTime = factory.CreateGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", Suppressed<GaugeConfiguration>());
        _openFds = factory.CreateGauge("process_open_fds", "Number of open file descriptors.", Suppressed<GaugeConfiguration>());
        _maxFds = factory.CreateGauge("process_max_fds", "Maximum number of open file descriptors.", Suppressed<GaugeConfiguration>());
    }

    /// <summary>Reads /proc before a scrape; where it is missing (not Linux) nothing is reported.</summary>
    public void Update()
    {
        if (!TryReadStat(out var stat))
        {
            return;
        }
        _cpu.IncTo(stat.CpuSeconds);
        _resident.Set(stat.ResidentBytes);
        _virtual.Set(stat.VirtualBytes);
        if (ReadBootTime() is { } bootTime)
        {
            _startTime.Set(bootTime + stat.StartTicks / TicksPerSecond);
        }
        _openFds.Set(Directory.EnumerateFileSystemEntries("/proc/self/fd").Count());
        if (ReadMaxOpenFiles() is { } maxFds)
        {
            _maxFds.Set(maxFds);
        }
    }

    private static T Suppressed<T>()
        where T : MetricConfiguration, new() => new() { SuppressInitialValue = true };

    private static bool TryReadStat(out Stat stat)
    {
        stat = default;
        if (!File.Exists("/proc/self/stat"))
        {
            return false;
        }
        // proc(5): the command name in field 2 is in parentheses and may contain spaces, so the
        // fields are counted from after its closing parenthesis (field 3, "state", is index 0).
        var text = File.ReadAllText("/proc/self/stat");
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var utime = double.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = double.Parse(fields[12], CultureInfo.InvariantCulture);
        stat = new Stat(
            (utime + stime) / TicksPerSecond,
            double.Parse(fields[19], CultureInfo.InvariantCulture),
            double.Parse(fields[20], CultureInfo.InvariantCulture),
            double.Parse(fields[21], CultureInfo.InvariantCulture) * Environment.SystemPageSize);
        return true;
    }

    private static double? ReadBootTime() =>
        File.ReadLines("/proc/stat")
            .Where(line => line.StartsWith("btime ", StringComparison.Ordinal))
            .Select(line => (double?)double.Parse(line.AsSpan(6), CultureInfo.InvariantCulture))
            .FirstOrDefault();

    // proc(5) limits: "Max open files            1024                 1048576              files"; the soft limit counts.
    private static double? ReadMaxOpenFiles() =>
        File.ReadLines("/proc/self/limits")
            .Where(line => line.StartsWith("Max open files", StringComparison.Ordinal))
            .Select(line => line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0])
            .Select(soft => double.TryParse(soft, CultureInfo.InvariantCulture, out var value) ? value : (double?)null)
            .FirstOrDefault();

    private readonly record struct Stat(double CpuSeconds, double StartTicks, double VirtualBytes, double ResidentBytes);
}
