namespace MailCluster.Delivery.Shaping;

/// <summary>The configuration keys naming the rules files operators reload as one (<c>mailctl reload-shaping</c>): shaping, and response rules.</summary>
public static class RulesFiles
{
    public static readonly IReadOnlyList<string> Keys = ["ShapingFile", "ResponseRulesFile"];
}
