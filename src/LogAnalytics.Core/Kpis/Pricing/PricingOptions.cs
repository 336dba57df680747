namespace LogAnalytics.Kpis.Pricing;

/// <summary>Configuration section <c>Pricing</c>: where the price book is.</summary>
public sealed class PricingOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Pricing";

    /// <summary>The default price book file name.</summary>
    public const string DefaultPath = "pricing.json";

    /// <summary><c>Pricing:Path</c>: the price book (JSON, see config/pricing.json). A relative path is looked up in the
    /// working directory, then beside the executable. Default <c>pricing.json</c> (the example shipped beside the
    /// executable). A missing file means no prices: costs come only from events' <c>cost_usd</c>, and the rest is
    /// reported as unpriced.</summary>
    public string Path { get; set; } = DefaultPath;

    /// <summary>The file the path refers to: as given when rooted or present in the working directory, else beside the executable.</summary>
    public string ResolvedPath()
    {
        if (System.IO.Path.IsPathRooted(Path) || File.Exists(Path))
        {
            return System.IO.Path.GetFullPath(Path);
        }
        return System.IO.Path.Combine(AppContext.BaseDirectory, Path);
    }
}
