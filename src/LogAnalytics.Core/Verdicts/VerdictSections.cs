namespace LogAnalytics.Verdicts;

/// <summary>Extension <c>cost</c>: what each side's requests cost in the window and the monthly projection.</summary>
/// <param name="Baseline">The baseline's figures.</param>
/// <param name="Canary">The canary's figures.</param>
/// <param name="ProjectedMonthlyUsd">Monthly cost at the observed volume and mix; null unless both sides have priced requests.</param>
public sealed record VerdictCost(CostFigures Baseline, CostFigures Canary, MonthlyCost? ProjectedMonthlyUsd);

/// <summary>One side's cost figures.</summary>
/// <param name="CostPerRequestUsd">Mean cost of a priced request.</param>
/// <param name="CostPer1kRequestsUsd">The same per 1,000 requests.</param>
/// <param name="TokensPerRequest">Mean input + output tokens of the requests that report them.</param>
/// <param name="PricedRequests">Requests with a cost (cost_usd, the price book, or a failure that was not billed).</param>
/// <param name="UnpricedRequests">Requests without one: counted, never priced as 0.</param>
/// <param name="UnpricedBy">Unpriced requests by reason: no_price, no_tokens, no_model.</param>
/// <param name="ModelsWithoutPrice">Models that have requests without a cost; add them to the price book.</param>
/// <param name="Models">Per model, most requests first.</param>
public sealed record CostFigures(double? CostPerRequestUsd, double? CostPer1kRequestsUsd, double? TokensPerRequest, long PricedRequests,
    long UnpricedRequests, IReadOnlyDictionary<string, long> UnpricedBy, IReadOnlyList<string> ModelsWithoutPrice, IReadOnlyList<ModelCostFigures> Models);

/// <summary>One model's cost figures on a side.</summary>
/// <param name="Model">The canonical model name.</param>
/// <param name="Requests">Its requests.</param>
/// <param name="PricedRequests">Of those, requests with a cost.</param>
/// <param name="CostPerRequestUsd">Mean cost of a priced request.</param>
/// <param name="TokensPerRequest">Mean input + output tokens per request.</param>
public sealed record ModelCostFigures(string Model, long Requests, long PricedRequests, double? CostPerRequestUsd, double? TokensPerRequest);

/// <summary>Monthly cost (30 days) at the requests per day observed in the window, in USD.</summary>
/// <param name="Requests">Requests per month (both sides).</param>
/// <param name="AllOnBaseline">If all traffic stayed on the baseline.</param>
/// <param name="AllOnCanary">If all traffic moved to the canary.</param>
/// <param name="CurrentSplit">At the current split.</param>
public sealed record MonthlyCost(double Requests, double AllOnBaseline, double AllOnCanary, double CurrentSplit);

/// <summary>Extension <c>validation</c>: the canary's shadow-validation results in the window.</summary>
/// <param name="Events">Validation events with at least one check.</param>
/// <param name="Matches">Of those, events where every check matched.</param>
/// <param name="MatchRate">Matches / events.</param>
/// <param name="WilsonLow">Wilson 95 % lower bound of the match rate.</param>
/// <param name="WilsonHigh">Wilson 95 % upper bound.</param>
/// <param name="Checks">Per check: content_match, finish_reason_match, tokens_match, model_field_match.</param>
/// <param name="Similarity">The distribution of the similarity scores; null when no event reports one.</param>
public sealed record VerdictValidation(long Events, long Matches, double? MatchRate, double? WilsonLow, double? WilsonHigh,
    IReadOnlyDictionary<string, ValidationCheckFigures> Checks, SimilarityFigures? Similarity);

/// <summary>One validation check's figures.</summary>
/// <param name="Checked">Events that report the check.</param>
/// <param name="Matched">Of those, how many matched.</param>
/// <param name="Rate">Matched / checked.</param>
/// <param name="WilsonLow">Wilson 95 % lower bound of the rate.</param>
public sealed record ValidationCheckFigures(long Checked, long Matched, double Rate, double WilsonLow);

/// <summary>The similarity scores (0..1).</summary>
/// <param name="Count">Scores reported.</param>
/// <param name="Mean">Their mean.</param>
/// <param name="P5">Their 5th percentile (type 7): one answer in twenty is less similar than this.</param>
/// <param name="Min">The lowest.</param>
public sealed record SimilarityFigures(long Count, double Mean, double P5, double Min);

/// <summary>Extension <c>errors</c>: failed requests by class on each side (auth, rate_limit, bad_request, server,
/// timeout_transport, client_other, other), as counts and shares of the side's requests.</summary>
/// <param name="Baseline">The baseline's classes.</param>
/// <param name="Canary">The canary's classes.</param>
public sealed record VerdictErrors(IReadOnlyDictionary<string, ErrorClassFigures> Baseline, IReadOnlyDictionary<string, ErrorClassFigures> Canary);

/// <summary>One error class on a side.</summary>
/// <param name="Count">Failed requests of the class.</param>
/// <param name="Rate">Their share of the side's requests.</param>
/// <param name="RetryAfterMedianMs">For <c>rate_limit</c>: the median Retry-After the upstream asked for, when routers
/// log it (<c>retry_after_ms</c>); otherwise null.</param>
/// <param name="RetryAfterMaxMs">For <c>rate_limit</c>: the longest Retry-After.</param>
public sealed record ErrorClassFigures(long Count, double Rate, double? RetryAfterMedianMs = null, double? RetryAfterMaxMs = null);
