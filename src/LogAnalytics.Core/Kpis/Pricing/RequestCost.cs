namespace LogAnalytics.Kpis.Pricing;

/// <summary>Where a request's cost came from (the <c>cost_source</c> column of the <c>requests_costed</c> view).</summary>
public static class CostSources
{
    /// <summary>The event's own <c>cost_usd</c>.</summary>
    public const string Event = "event";
    /// <summary>Tokens × the price book.</summary>
    public const string PriceBook = "price_book";
    /// <summary>A failed request that reported no usage and no cost: not billed, cost 0.</summary>
    public const string NotBilled = "not_billed";
    /// <summary>Unpriced: the model has no price for the endpoint in the price book.</summary>
    public const string NoPrice = "no_price";
    /// <summary>Unpriced: the event has no token counts to price.</summary>
    public const string NoTokens = "no_tokens";
    /// <summary>Unpriced: the event names no model.</summary>
    public const string NoModel = "no_model";

    /// <summary>Whether a source carries a cost (the others are unpriced and never counted as 0).</summary>
    public static bool IsPriced(string source) => source is Event or PriceBook or NotBilled;
}

/// <summary>The cost of one request in USD, or why it has none.</summary>
/// <param name="Usd">The cost; null when unpriced.</param>
/// <param name="Source">One of <see cref="CostSources"/>.</param>
/// <param name="Model">The canonical model it was priced as (or looked up as), when the event names one.</param>
public readonly record struct RequestCost(double? Usd, string Source, string? Model)
{
    /// <summary>Whether the request has a cost.</summary>
    public bool IsPriced => Usd is not null;

    /// <summary>
    /// Prices a request: the event's <c>cost_usd</c> when present; else input tokens × input price + output tokens ×
    /// output price from the price book (a missing input or output count is derived from <c>total_tokens</c>);
    /// a failed request (status 0 or ≥ 400) with no usage is not billed (0); anything else is unpriced with a reason.
    /// </summary>
    public static RequestCost Of(PriceBook book, string endpoint, string? model, long? promptTokens, long? completionTokens,
        long? totalTokens, double? costUsd, int statusCode)
    {
        var canonical = string.IsNullOrWhiteSpace(model) ? null : book.ResolveModel(model);
        if (costUsd is { } given && double.IsFinite(given) && given >= 0)
        {
            return new RequestCost(given, CostSources.Event, canonical);
        }
        var input = promptTokens ?? (totalTokens is { } t1 && completionTokens is { } c1 ? t1 - c1 : null);
        var output = completionTokens ?? (totalTokens is { } t2 && promptTokens is { } p2 ? t2 - p2 : null);
        var failed = statusCode == 0 || statusCode >= 400;
        if (failed && promptTokens is null && completionTokens is null && totalTokens is null)
        {
            return new RequestCost(0, CostSources.NotBilled, canonical);
        }
        if (canonical is null)
        {
            return new RequestCost(null, CostSources.NoModel, null);
        }
        if (book.Find(endpoint, model!) is not { } price)
        {
            return new RequestCost(null, CostSources.NoPrice, canonical);
        }
        if (input is { } i && output is { } o && i >= 0 && o >= 0)
        {
            return new RequestCost((i * price.InputUsdPerMillion + o * price.OutputUsdPerMillion) / 1e6, CostSources.PriceBook, canonical);
        }
        // Only a total: priceable when input and output cost the same.
        if (totalTokens is { } total && total >= 0 && price.InputUsdPerMillion == price.OutputUsdPerMillion)
        {
            return new RequestCost(total * price.InputUsdPerMillion / 1e6, CostSources.PriceBook, canonical);
        }
        return new RequestCost(null, CostSources.NoTokens, canonical);
    }
}
