using System.Globalization;
using MailCluster.Admin;
using MailCluster.Cluster.Shaping;
using MailCluster.Cluster;
using MailCluster.Delivery.Actors;
using MailCluster.Delivery.Shaping;
using MailCluster.Delivery.Suppression;
using MailCluster.Events;
using MailCluster.Smtp.Protocol;
using MailCluster.Spool;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace MailCluster.Silo.Http.Admin;

/// <summary>
/// The admin API (JSON) on its own listener: queue per domain, one message's status, suspend and
/// resume, retry now, bounce or delete, and reloading the shaping rules. <c>mailctl</c> wraps it.
/// </summary>
internal static class AdminEndpoints
{
    public const string Section = "Admin";

    public static void ListenAdmin(this KestrelServerOptions kestrel, AdminOptions options)
    {
        if (options.Enabled && !options.Validate().Any())
        {
            kestrel.Listen(options.ListenEndPoint(), listen => listen.Protocols = HttpProtocols.Http1);
        }
    }

    public static void MapAdmin(this WebApplication app, AdminOptions options)
    {
        if (!options.Enabled)
        {
            return;
        }
        var api = app.MapGroup("/api")
            .AddEndpointFilter(new AdminListenerOnly(options.ListenEndPoint().Port))
            .AddEndpointFilter((context, next) =>
            {
                context.HttpContext.Response.Headers[AdminApi.VersionHeader] = AdminApi.Version.ToString(CultureInfo.InvariantCulture);
                return next(context);
            })
            .AddEndpointFilter(new AdminAuthorization(options));

        // Maintenance: this silo's whole local queue goes to the retry tier. Only the named silo does it,
        // so that a load-balanced admin Service cannot drain the wrong one.
        api.MapPost("/silos/{silo}/drain", async (string silo, QueueOperations queue, ClusterMembers cluster, CancellationToken ct) =>
        {
            var self = cluster.Members().First(m => m.ThisSilo).Name;
            if (!string.Equals(silo, self, StringComparison.Ordinal))
            {
                return Json(new AdminError($"this is silo {self}, not {silo}: run mailctl against {silo}'s own admin API (kubectl exec {silo} -- mailctl drain {silo})"), StatusCodes.Status409Conflict);
            }
            if (queue.Tier is null)
            {
                return Json(new AdminError("Single mode has no retry tier to drain into"), StatusCodes.Status409Conflict);
            }
            var (moved, left) = await queue.Tier.DrainAsync(ct);
            return Json(new Drained(self, moved, left));
        });
        api.MapGet("/silos", async (ClusterMembers cluster, ClusterShaping shaping, CancellationToken ct) =>
        {
            var reports = await shaping.ReportsAsync(ct);
            return Json(cluster.Members()
                .Select(m => new SiloView(m.Name, m.Address, m.Status, m.ThisSilo, reports.GetValueOrDefault(m.Name)?.Hash, reports.GetValueOrDefault(m.Name)?.Error))
                .ToList());
        });
        api.MapGet("/domains", async (QueueOperations queue, CancellationToken ct) => Json((await queue.DomainsAsync(ct)).Select(View).ToList()));
        api.MapGet("/domains/{domain}", async (string domain, QueueOperations queue, CancellationToken ct) =>
            await queue.DomainAsync(domain, ct) is { } status ? Json(View(status)) : NotFound($"domain '{domain}' has nothing queued and no active delivery"));
        api.MapGet("/sources", async (QueueOperations queue) =>
        {
            var activity = await queue.SourceActivityAsync();
            return Json(queue.Sources().Select(s => new SourceView(
                s.Name, s.Address, s.Socks5, s.EhloName, [.. s.Pools.Select(p => new SourcePoolView(p.Pool, p.Weight))],
                [.. activity[s.Name].Activity.LastMinute.Select(a => new SourceSiteView(a.Site, a.Connections, a.Messages))], activity[s.Name].Activity.SuspendedDomains,
                activity[s.Name].WarmUp is { } w ? new SourceWarmUpView(w.Day, w.Start, [.. w.Sites.Select(x => new SourceWarmUpSiteView(x.Site, x.PerDay, x.PerHour, x.Today, x.ThisHour))]) : null)).ToList());
        });
        // Suspending what already is suspended (or resuming what is not) is no error: the answer says the state.
        api.MapPost("/domains/{domain}/suspend", async (string domain, string? source, QueueOperations queue, CancellationToken ct) =>
        {
            if (UnknownSource(queue, source) is { } unknown)
            {
                return unknown;
            }
            await queue.SuspendAsync(domain, ct, source);
            return Json(new SuspensionChanged(domain, Suspended: true, source));
        });
        api.MapPost("/domains/{domain}/resume", async (string domain, string? source, QueueOperations queue, CancellationToken ct) =>
        {
            if (UnknownSource(queue, source) is { } unknown)
            {
                return unknown;
            }
            await queue.ResumeAsync(domain, ct, source);
            return Json(new SuspensionChanged(domain, Suspended: false, source));
        });
        api.MapPost("/domains/{domain}/retry", (string domain, QueueOperations queue, CancellationToken ct) =>
            Counted(queue.RetryNowAsync(RecipientSelector.ForDomain(domain), ct), $"domain '{domain}' has no queued recipients"));
        api.MapPost("/domains/{domain}/bounce", (string domain, QueueOperations queue, CancellationToken ct) =>
            Counted(queue.BounceAsync(RecipientSelector.ForDomain(domain), ct), $"domain '{domain}' has no queued recipients", queue.Tier is not null));
        api.MapDelete("/domains/{domain}/recipients", (string domain, QueueOperations queue, CancellationToken ct) =>
            Counted(queue.DeleteAsync(RecipientSelector.ForDomain(domain), ct), $"domain '{domain}' has no queued recipients", queue.Tier is not null));

        api.MapGet("/messages/{queueId}", async (string queueId, ISpoolOperations spool, CancellationToken ct) =>
            await spool.GetMessageAsync(queueId, ct) is { } message ? Json(View(message)) : NotFound($"message {queueId} is not in the spool"));
        api.MapPost("/messages/{queueId}/retry", (string queueId, QueueOperations queue, CancellationToken ct) =>
            Counted(queue.RetryNowAsync(RecipientSelector.ForMessage(queueId), ct), $"message {queueId} has no queued recipients"));
        api.MapPost("/messages/{queueId}/bounce", (string queueId, QueueOperations queue, CancellationToken ct) =>
            Counted(queue.BounceAsync(RecipientSelector.ForMessage(queueId), ct), $"message {queueId} has no queued recipients", queue.Tier is not null));
        api.MapDelete("/messages/{queueId}", (string queueId, QueueOperations queue, CancellationToken ct) =>
            Counted(queue.DeleteAsync(RecipientSelector.ForMessage(queueId), ct), $"message {queueId} has no queued recipients", queue.Tier is not null));

        api.MapGet("/events", (EventDispatcher events) => Json(events.Statuses.Select(s => new EventSinkView(
            s.Name, s.Target, s.State, s.Cursor, s.Backlog.Events, s.Backlog.Bytes, s.Lag, s.Delivered, s.PerSecond, s.LastError, s.LastErrorAt)).ToList()));
        api.MapGet("/suppressions", (SuppressionList list) =>
            Json(new SuppressionAnswer("list", 0, [.. list.List().Select(View)])));
        api.MapPost("/suppressions/import", async (SuppressionImport import, SuppressionList list, CancellationToken ct) =>
        {
            if (import.Addresses is null)
            {
                return Json(new AdminError("the body names no addresses ({\"addresses\": [...]})"), StatusCodes.Status400BadRequest);
            }
            if (import.Addresses.FirstOrDefault(a => !IsAddress(a)) is { } bad)
            {
                return Json(new AdminError($"'{bad}' is not an address (local@domain); nothing was imported"), StatusCodes.Status400BadRequest);
            }
            // One durable write for the whole list.
            return Json(new SuppressionAnswer("imported", await list.AddManyAsync(import.Addresses, "imported by an operator", ct), []));
        });
        api.MapPost("/suppressions/{address}", async (string address, SuppressionList list, CancellationToken ct) =>
        {
            if (!IsAddress(address))
            {
                return Json(new AdminError($"'{address}' is not an address (local@domain)"), StatusCodes.Status400BadRequest);
            }
            var added = await list.AddAsync(address, "added by an operator", ct);
            return Json(new SuppressionAnswer("added", added ? 1 : 0, [.. list.List().Where(e => e.Address.Equals(address, StringComparison.OrdinalIgnoreCase)).Select(View)]));
        });
        api.MapDelete("/suppressions/{address}", async (string address, SuppressionList list, TimeProvider time, CancellationToken ct) =>
            await list.RemoveAsync(address, ct)
                ? Json(new SuppressionAnswer("removed", 1, [new SuppressionView(address.ToLowerInvariant(), "removed by an operator", time.GetUtcNow())]))
                : NotFound($"{address} is not on the suppression list"));

        api.MapPost("/shaping/reload", async (ClusterShaping shaping, CancellationToken ct) =>
        {
            var reload = await shaping.ReloadClusterAsync(ct);
            if (reload.Errors.Count > 0)
            {
                return Json(new AdminError(string.Join("; ", reload.Errors)), StatusCodes.Status400BadRequest);
            }
            return reload.ClusterError is { } unreachable
                ? Json(new AdminError($"the rules were reloaded on this silo ({reload.Rules} rule(s), hash {reload.Hash}), but the cluster's shaping grain did not answer ({unreachable}): the other silos keep their rules; run reload-shaping again"), StatusCodes.Status503ServiceUnavailable)
                : Json(new ShapingReloaded(reload.Rules, reload.Hash, (int)shaping.Period.TotalSeconds));
        });
    }

    private static IResult Json<T>(T body, int status = StatusCodes.Status200OK) => Results.Json(body, AdminApi.Json, statusCode: status);

    private static IResult? UnknownSource(QueueOperations queue, string? source)
    {
        var names = queue.Sources().Select(s => s.Name).ToList();
        return source is null || names.Contains(source, StringComparer.OrdinalIgnoreCase) ? null : NotFound($"no egress source '{source}' (sources: {string.Join(", ", names)})");
    }

    private static SuppressionView View(Spool.SuppressionEntry entry) => new(entry.Address, entry.Reason, entry.At);

    private static bool IsAddress(string text) =>
        text.LastIndexOf('@') is var at and > 0 && at < text.Length - 1 && !text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));

    private static IResult NotFound(string why) => Json(new AdminError(why), StatusCodes.Status404NotFound);

    /// <param name="inTier">The retry tier's entries follow: the answer is not "none" even when this silo had none.</param>
    private static async Task<IResult> Counted(Task<int> action, string whenNone, bool inTier = false)
    {
        var count = await action;
        return count > 0 || inTier ? Json(new RecipientsChanged(count, inTier)) : NotFound(whenNone);
    }

    private static DomainView View(DomainStatus status) =>
        new(status.Domain, status.Due, status.Deferred, status.InFlight, status.OldestArrival, status.Connections, status.BackingOff, status.Suspended, status.InTier,
            status.Sources?.Select(s => new DomainSourceView(s.Source, s.Connections, s.BackingOff, s.Suspended, s.PausedBy, s.BackingOff ? s.PausedFor : null)).ToList());

    private static MessageView View(QueuedMessage queued)
    {
        var message = queued.Message;
        return new(message.QueueId, message.Sender, message.ReceivedAt, message.Size, message.EnvelopeId, DsnParameterText.Format(message.Return), message.SmtpUtf8, message.EightBitMime,
            [.. queued.Recipients.Select(r => new RecipientView(
                r.Recipient.Address, r.Recipient.Domain, r.State.ToString(), r.Attempts, r.NextAttemptAt, r.LastReply, DsnParameterText.Format(r.Recipient.Notify), r.Recipient.OriginalRecipient))]);
    }
}
