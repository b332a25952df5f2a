using System.Buffers;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster.Sites;
using MailCluster.Delivery.Egress;
using MailCluster.Delivery.Egress.Sources;
using MailCluster.Delivery.Outcomes;
using MailCluster.Delivery.Shaping;
using MailCluster.Delivery.Sites;

namespace MailCluster.Delivery.Actors;

/// <summary>
/// One SMTP connection of a domain: opens it, then asks the actor for jobs until the actor says
/// stop, the per-connection message limit is reached or the connection breaks. Each outcome goes
/// to the recorder (the durable part) before the actor hears of it (the bookkeeping part).
/// </summary>
internal sealed class ConnectionWorker(IDomainMailbox actor, DeliveryRuntime runtime, DomainShaping shaping, ConnectionSlot slot, EgressSource source)
{
    // One buffer per connection, reused for every message it sends.
    private readonly ArrayBufferWriter<byte> _content = new();

    public async Task RunAsync(CancellationToken stopping)
    {
        IMxConnection? connection = null;
        try
        {
            ConnectResult connect;
            try
            {
                connect = await runtime.Connector.ConnectAsync(actor.Domain, shaping, source, stopping);
            }
            catch (Exception exception) when (exception is not (OutOfMemoryException or OperationCanceledException))
            {
                // The actor counts this worker as connecting until it hears back: it must hear back.
                connect = new ConnectResult(null, DeliveryOutcomeClassifier.ConnectionFailed(exception.Message));
            }
            if (connect.Connection is null)
            {
                await actor.PostAsync(new DomainCommand.ConnectFailed(source, connect.Failure!));
                return;
            }
            connection = connect.Connection;
            runtime.Activity.Connected(source, shaping.SiteKey);
            // A site lease that lapses unrenewed lets the transaction in flight finish (cut after the
            // final dot, its mail would be delivered twice); the actor then has this connection QUIT.
            // Still unrenewed after the grant's grace, the grain gives this room away: cut at once.
            // At SIGTERM, one still in flight when the drain deadline passes is cut: its recipients are
            // deferred (never lost), so the hand-off to the retry tier runs within the pod's grace.
            using var lapsed = slot.OnCut(connection.Abort);
            using var cut = runtime.DrainPassed.Register(connection.Abort);
            for (var sent = 0; sent < shaping.MaxMessagesPerConnection; sent++)
            {
                var job = await RequestJobAsync(first: sent == 0);
                if (job is null)
                {
                    break;
                }
                var result = await AttemptAsync(connection, job);
                // Durable in the background; the recorder owns the write until done (shutdown waits for it).
                runtime.Recorder.Submit(actor.Domain, result);
                if (result.Outcomes.Any(o => o.Verdict == DeliveryVerdict.Delivered))
                {
                    runtime.Activity.Delivered(source, shaping.SiteKey);
                }
                await actor.PostAsync(new DomainCommand.AttemptFinished(source, result));
                if (!result.ConnectionUsable)
                {
                    break;
                }
            }
            await connection.CloseAsync(CancellationToken.None);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutdown while connecting: nothing was taken from the actor.
        }
        finally
        {
            try
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }
            }
            finally
            {
                slot.Dispose();
                // After the socket closed and the slot returned: the actor counts this worker until it hears this.
                await actor.PostAsync(new DomainCommand.WorkerExited(source));
            }
        }
    }

    private async Task<JobResult> AttemptAsync(IMxConnection connection, DeliveryJob job)
    {
        try
        {
            if (job.Tier is { } lease)
            {
                // A retry-tier entry carries its content.
                return await connection.SendAsync(job, lease.Entry.Content, CancellationToken.None);
            }
            _content.ResetWrittenCount();
            if (!await runtime.Spool.ReadContentAsync(job.Message.QueueId, _content, CancellationToken.None))
            {
                return JobResult.Unattempted(job, DeliveryOutcomeClassifier.ConnectionLost("message content missing from the spool"), connection.Endpoint);
            }
            return await connection.SendAsync(job, _content.WrittenMemory, CancellationToken.None);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Whatever broke, the job was taken: it must come back as an outcome, never vanish.
            Log.AttemptFault(runtime.Logger, actor.Domain, job.Message.QueueId, exception);
            return JobResult.Unattempted(job, DeliveryOutcomeClassifier.ConnectionLost(exception.Message), connection.Endpoint);
        }
    }

    private async Task<DeliveryJob?> RequestJobAsync(bool first)
    {
        var reply = new TaskCompletionSource<DeliveryJob?>(TaskCreationOptions.RunContinuationsAsynchronously);
        return await actor.PostAsync(new DomainCommand.JobRequested(source, reply, first)) ? await reply.Task : null;
    }
}
