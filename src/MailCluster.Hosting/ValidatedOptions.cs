using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MailCluster.Hosting;

/// <summary>
/// The one shape every room's options take: bound from their configuration section, checked by
/// the options class's own rules when the host starts (each message names the key and the value),
/// and available both as <c>IOptions&lt;T&gt;</c> and as <typeparamref name="T"/> itself.
/// </summary>
public static class ValidatedOptions
{
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string section, Func<T, IEnumerable<string>> rules)
        where T : class =>
        services.AddValidatedOptions<T>(configuration, section, (options, _) => rules(options));

    /// <summary>As above, for rules that depend on other services (e.g. another room's limits).</summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, IConfiguration configuration, string section, Func<T, IServiceProvider, IEnumerable<string>> rules)
        where T : class
    {
        services.AddSingleton<IValidateOptions<T>>(sp => new OptionsRules<T>(options => rules(options, sp)));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<T>>().Value);
        return services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
    }

    private sealed class OptionsRules<T>(Func<T, IEnumerable<string>> rules) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var failures = rules(options).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
