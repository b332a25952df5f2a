using System.Diagnostics.Metrics;

namespace MailCluster.Silo.Ingress;

/// <summary>SMTP ingress instruments (meter <c>MailCluster.Ingress</c>).</summary>
internal sealed class IngressMetrics : IDisposable
{
    public const string MeterName = "MailCluster.Ingress";

    private readonly Meter _meter;
    private readonly Counter<long> _connections;
    private readonly Counter<long> _connectionsRejected;
    private readonly Counter<long> _messages;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _rejections;
    private readonly Histogram<double> _commitDuration;
    private readonly Counter<long> _tlsSessions;
    private readonly Counter<long> _dkim;
    private readonly Counter<long> _auth;
    private readonly Counter<long> _feedback;

    public IngressMetrics(IMeterFactory meterFactory, Func<int> currentConnections)
    {
        _meter = meterFactory.Create(MeterName);
        _connections = _meter.CreateCounter<long>("mailcluster.ingress.connections", "{connection}", "SMTP connections accepted.");
        _connectionsRejected = _meter.CreateCounter<long>("mailcluster.ingress.connections.rejected", "{connection}", "SMTP connections refused with 421 by a connection limit.");
        _meter.CreateObservableGauge("mailcluster.ingress.connections.current", currentConnections, "{connection}", "SMTP connections open now.");
        _messages = _meter.CreateCounter<long>("mailcluster.ingress.messages", "{message}", "Messages accepted (250 after the spool commit).");
        _bytes = _meter.CreateCounter<long>("mailcluster.ingress.message.size", "By", "Octets of accepted messages.");
        _rejections = _meter.CreateCounter<long>("mailcluster.ingress.rejections", "{reply}", "Messages (at the end of data) and recipients (relay denied, suppressed) refused, by reply code.");
        _tlsSessions = _meter.CreateCounter<long>("mailcluster.ingress.tls.sessions", "{session}", "SMTP sessions that ran STARTTLS.");
        _dkim = _meter.CreateCounter<long>("mailcluster.ingress.dkim.messages", "{message}", "Messages at the end of data by DKIM outcome: signed, unsigned (no key for the From: domain, no From:, unparseable header), refused (unsigned while Dkim:Required).");
        _feedback = _meter.CreateCounter<long>("mailcluster.ingress.feedback_reports", "{report}", "Reports to a feedback-loop address (Fbl:Addresses) by outcome: complaint (the complainer suppressed), kept (no complainer could be read: the report is kept under the spool's feedback/ for an operator).");
        _auth = _meter.CreateCounter<long>("mailcluster.ingress.auth", "{attempt}", "AUTH attempts by result: succeeded, failed (a password checked and wrong, or an unknown user), blocked (the client's network or the user past its failures: no check), busy (Smtp:MaxConcurrentAuthChecks under way: no check).");
        _commitDuration = _meter.CreateHistogram<double>("mailcluster.ingress.commit.duration", "s", "Time from end of data to the durable commit.");
    }

    public void ConnectionOpened() => _connections.Add(1);

    public void ConnectionRejected() => _connectionsRejected.Add(1);

    public void Accepted(long size, TimeSpan commit)
    {
        _messages.Add(1);
        _bytes.Add(size);
        _commitDuration.Record(commit.TotalSeconds);
    }

    public void TlsSession() => _tlsSessions.Add(1);

    public void FeedbackReport(string outcome) => _feedback.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Dkim(string outcome) => _dkim.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Auth(string result) => _auth.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Rejected(int code) => _rejections.Add(1, new KeyValuePair<string, object?>("code", code));

    public void Dispose() => _meter.Dispose();
}
