using LogAnalytics.Kpis.Pricing;

namespace LogAnalytics.Kpis;

/// <summary>Cost figures of one model on one side.</summary>
/// <param name="Model">The canonical model name (or <c>(none)</c>).</param>
/// <param name="Requests">Requests of this model.</param>
/// <param name="Priced">Of those, requests with a cost.</param>
/// <param name="CostUsd">Their total cost.</param>
/// <param name="Tokens">Input + output tokens of the requests that report them.</param>
public sealed record ModelCost(string Model, long Requests, long Priced, double CostUsd, long Tokens)
{
    /// <summary>Mean cost of a priced request; null without one.</summary>
    public double? CostPerRequestUsd => Priced == 0 ? null : CostUsd / Priced;
}

/// <summary>What one side's requests cost in the window (see <see cref="RequestCost"/> for how each is priced).</summary>
public sealed record ArmCost
{
    /// <summary>The cost of every priced request (including not-billed failures at 0), in arrival order.</summary>
    public required double[] PricedCostsUsd { get; init; }
    /// <summary>Requests without a cost, by reason (<see cref="CostSources.NoPrice"/>, <see cref="CostSources.NoTokens"/>, <see cref="CostSources.NoModel"/>).</summary>
    public required IReadOnlyDictionary<string, long> UnpricedBySource { get; init; }
    /// <summary>Priced requests by where the cost came from (<see cref="CostSources.Event"/>, <see cref="CostSources.PriceBook"/>, <see cref="CostSources.NotBilled"/>).</summary>
    public required IReadOnlyDictionary<string, long> PricedBySource { get; init; }
    /// <summary>Requests that report token counts.</summary>
    public required long RequestsWithTokens { get; init; }
    /// <summary>Their input + output tokens.</summary>
    public required long Tokens { get; init; }
    /// <summary>Per model, most requests first.</summary>
    public required IReadOnlyList<ModelCost> ByModel { get; init; }

    /// <summary>No requests.</summary>
    public static ArmCost Empty { get; } = new ArmCostBuilder().Build();

    /// <summary>Priced requests.</summary>
    public long Priced => PricedCostsUsd.LongLength;
    /// <summary>Requests priced from data (the event's cost_usd or tokens × the price book), not counting failures
    /// that were not billed: zero when the router sends neither costs nor token counts the book can price.</summary>
    public long PricedFromData => PricedBySource.GetValueOrDefault(CostSources.Event) + PricedBySource.GetValueOrDefault(CostSources.PriceBook);
    /// <summary>Requests without a cost.</summary>
    public long Unpriced => UnpricedBySource.Values.Sum();
    /// <summary>Total cost of the priced requests.</summary>
    public double TotalUsd => PricedCostsUsd.Sum();
    /// <summary>Mean cost of a priced request; null without one.</summary>
    public double? CostPerRequestUsd => Priced == 0 ? null : TotalUsd / Priced;
    /// <summary>Mean input + output tokens per request that reports them; null without one.</summary>
    public double? TokensPerRequest => RequestsWithTokens == 0 ? null : (double)Tokens / RequestsWithTokens;
    /// <summary>Models of the unpriced requests that lack a price, most requests first.</summary>
    public IReadOnlyList<string> ModelsWithoutPrice => ByModel.Where(m => m.Priced < m.Requests && m.Model != ArmCostBuilder.NoModel).Select(m => m.Model).ToList();
}

/// <summary>Accumulates <see cref="ArmCost"/> one request at a time (pure).</summary>
public sealed class ArmCostBuilder
{
    /// <summary>The model name used for requests that name none.</summary>
    public const string NoModel = "(none)";

    private readonly List<double> _costs = [];
    private readonly Dictionary<string, long> _unpriced = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _priced = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Requests, long Priced, double Cost, long Tokens)> _models = new(StringComparer.Ordinal);
    private long _withTokens;
    private long _tokens;

    /// <summary>Adds one request.</summary>
    /// <param name="cost">Its cost.</param>
    /// <param name="inputTokens">Its input tokens, when known.</param>
    /// <param name="outputTokens">Its output tokens, when known.</param>
    /// <param name="totalTokens">Its total tokens, when known (used when input or output is missing).</param>
    public void Add(RequestCost cost, long? inputTokens, long? outputTokens, long? totalTokens)
    {
        long? tokens = inputTokens is { } i && outputTokens is { } o ? i + o : totalTokens;
        if (tokens is { } t && t >= 0)
        {
            _withTokens++;
            _tokens += t;
        }
        var model = cost.Model ?? NoModel;
        var m = _models.GetValueOrDefault(model);
        if (cost.Usd is { } usd)
        {
            _costs.Add(usd);
            _priced[cost.Source] = _priced.GetValueOrDefault(cost.Source) + 1;
            _models[model] = (m.Requests + 1, m.Priced + 1, m.Cost + usd, m.Tokens + (tokens ?? 0));
        }
        else
        {
            _unpriced[cost.Source] = _unpriced.GetValueOrDefault(cost.Source) + 1;
            _models[model] = (m.Requests + 1, m.Priced, m.Cost, m.Tokens + (tokens ?? 0));
        }
    }

    /// <summary>The figures so far.</summary>
    public ArmCost Build() => new()
    {
        PricedCostsUsd = _costs.ToArray(),
        UnpricedBySource = new Dictionary<string, long>(_unpriced, StringComparer.Ordinal),
        PricedBySource = new Dictionary<string, long>(_priced, StringComparer.Ordinal),
        RequestsWithTokens = _withTokens,
        Tokens = _tokens,
        ByModel = _models.Select(kv => new ModelCost(kv.Key, kv.Value.Requests, kv.Value.Priced, kv.Value.Cost, kv.Value.Tokens))
            .OrderByDescending(m => m.Requests).ThenBy(m => m.Model, StringComparer.Ordinal).ToList(),
    };
}
