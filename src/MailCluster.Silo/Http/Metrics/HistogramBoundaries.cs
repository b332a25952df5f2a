using System.Diagnostics.Metrics;

namespace MailCluster.Silo.Http.Metrics;

/// <summary>
/// Bucket upper bounds for a histogram: the instrument's own advice when its room gave one,
/// otherwise a default chosen by unit, since one set cannot serve fsync latencies and message
/// sizes alike.
/// </summary>
internal static class HistogramBoundaries
{
    // From 0.5 ms (an fsync on NVMe) to 60 s (a slow remote MX's final reply).
    private static readonly double[] s_seconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private static readonly double[] s_milliseconds = [.. s_seconds.Select(s => s * 1000)];

    // Powers of 4 from 1 KiB to 64 MiB: a one-line notice to a message with large attachments.
    private static readonly double[] s_bytes = [1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    // Counts such as messages per group commit or recipients per message.
    private static readonly double[] s_counts = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

    public static double[] For(Instrument instrument) =>
        Advised(instrument) ?? instrument.Unit switch
        {
            "s" => s_seconds,
            "ms" => s_milliseconds,
            "By" => s_bytes,
            _ => s_counts,
        };

    private static double[]? Advised(Instrument instrument) => instrument switch
    {
        Histogram<double> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds],
        Histogram<float> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
        Histogram<long> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
        Histogram<int> { Advice.HistogramBucketBoundaries: { } bounds } => [.. bounds.Select(b => (double)b)],
        _ => null,
    };
}
