using System.Diagnostics;
using System.Globalization;
using MailCluster.Testing.Fuzz;

// Usage: Fuzz COUNT SEED [TARGET...]: runs COUNT generated or mutated inputs through each target
// (all when none is named) and prints one line per target; exit 1 when any input crashed, hung or
// broke an allocation bound.
var count = long.Parse(args[0], CultureInfo.InvariantCulture);
var seed = int.Parse(args[1], CultureInfo.InvariantCulture);
var targets = args.Length > 2 ? args[2..].Select(FuzzTargets.Named).ToList() : [.. FuzzTargets.All];
var failed = false;
Console.WriteLine($"{"target",-14} {"inputs",10} {"failed",7} {"seconds",8} {"inputs/s",9} {"slowest ms",11} {"most allocated",15}");
foreach (var target in targets)
{
    var clock = Stopwatch.StartNew();
    var report = await FuzzRun.RunAsync(target, count, seed);
    var seconds = clock.Elapsed.TotalSeconds;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{report.Target,-14} {report.Inputs,10} {report.Failed,7} {seconds,8:0.0} {report.Inputs / seconds,9:0} {report.Slowest.TotalMilliseconds,11:0.0} {report.MostAllocatedBytes,15}"));
    foreach (var failure in report.Failures)
    {
        Console.WriteLine("  " + failure);
    }
    failed |= report.Failures.Count > 0;
}
return failed ? 1 : 0;
