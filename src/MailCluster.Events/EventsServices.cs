using MailCluster.Events.Sinks;
using MailCluster.Hosting;
using MailCluster.Spool;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MailCluster.Events;

/// <summary>The events room's wiring: its options (section <c>Events</c>), the recorder other rooms report through, and the dispatcher that feeds the sinks.</summary>
public static class EventsServices
{
    /// <param name="silo">This silo's name, which every event carries.</param>
    public static IServiceCollection AddEvents(this IServiceCollection services, IConfiguration configuration, Func<IServiceProvider, string> silo)
    {
        services.AddValidatedOptions<EventsOptions>(configuration, EventsOptions.Section, o => o.Validate());
        services.AddSingleton<EventsMetrics>();
        services.AddSingleton(sp => new EventRecorder(sp.GetRequiredService<EventsOptions>(), sp.GetRequiredService<IEventJournal>(), silo(sp)));
        services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            return new EventDispatcher(
                sp.GetRequiredService<EventsOptions>(), sp.GetRequiredService<IEventJournal>(), options => Sink(options, time),
                sp.GetRequiredService<EventsMetrics>(), time, sp.GetRequiredService<ILoggerFactory>().CreateLogger("MailCluster.Events"));
        });
        services.AddHostedService(sp => sp.GetRequiredService<EventDispatcher>());
        return services;
    }

    private static IEventSink Sink(EventSinkOptions options, TimeProvider time) => options.Type switch
    {
        EventSinkType.Amqp => new AmqpSink(options),
        _ => new WebhookSink(options, time),
    };
}
