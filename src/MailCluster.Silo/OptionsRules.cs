using Microsoft.Extensions.Options;

namespace MailCluster.Silo;

/// <summary>Turns an options class's own <c>Validate()</c> messages into startup validation (ValidateOnStart).</summary>
internal sealed class OptionsRules<T>(Func<T, IEnumerable<string>> rules) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var failures = rules(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
