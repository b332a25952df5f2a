namespace MailCluster.Cluster.Sites;

/// <summary>How a site's connection budget splits between the silos that want some.</summary>
internal static class FairShare
{
    /// <summary>Water-filling: silos wanting less than an equal split keep what they want; the rest share the remainder (ties by name, so every silo computes the same split).</summary>
    public static int Of(string silo, int budget, IEnumerable<(string Silo, int Wanted)> wanting)
    {
        var wants = wanting.OrderBy(w => w.Wanted).ThenBy(w => w.Silo, StringComparer.Ordinal).ToList();
        var left = budget;
        for (var i = 0; i < wants.Count; i++)
        {
            var equal = left / (wants.Count - i);
            var extra = i < left % (wants.Count - i) ? 1 : 0;
            var share = Math.Min(wants[i].Wanted, equal + extra);
            if (wants[i].Silo == silo)
            {
                return share;
            }
            left -= share;
        }
        return 0;
    }
}
