using System.Globalization;
using System.Text;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// The standard <c>process_*</c> metrics that every Prometheus client exports, read from /proc as
/// client_golang's procfs collector does. Nothing is written where /proc is missing (not Linux).
/// </summary>
internal static class ProcessMetrics
{
    // USER_HZ: /proc reports CPU and start times in ticks of 1/100 s on every Linux architecture.
    private const double TicksPerSecond = 100;

    public static void WriteTo(StringBuilder output)
    {
        if (!TryReadStat(out var stat))
        {
            return;
        }
        Write(output, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", stat.CpuSeconds);
        Write(output, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", stat.ResidentBytes);
        Write(output, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", stat.VirtualBytes);
        if (ReadBootTime() is { } bootTime)
        {
            Write(output, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", bootTime + stat.StartTicks / TicksPerSecond);
        }
        Write(output, "process_open_fds", "gauge", "Number of open file descriptors.", Directory.EnumerateFileSystemEntries("/proc/self/fd").Count());
        if (ReadMaxOpenFiles() is { } maxFds)
        {
            Write(output, "process_max_fds", "gauge", "Maximum number of open file descriptors.", maxFds);
        }
    }

    private static void Write(StringBuilder output, string name, string type, string help, double value)
    {
        PrometheusText.AppendHeader(output, name, type, help);
        PrometheusText.AppendSample(output, name, "", value);
    }

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
