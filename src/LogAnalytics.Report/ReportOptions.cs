using LogAnalytics.Experiments;
using LogAnalytics.Kpis.Pricing;

namespace LogAnalytics.Report;

/// <summary>What <see cref="ReportRenderer"/> reports on.</summary>
public sealed class ReportOptions
{
    /// <summary>The experiments, in this order. Default (empty): every configured experiment and every one seen in events.</summary>
    public IReadOnlyList<string> Experiments { get; init; } = [];

    /// <summary>Only events at or after this time. Default: all.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only events at or before this time; the verdict is computed as of it. Default: now.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>The experiments' settings (section <c>Experiments</c>): endpoints, stages, guardrails.</summary>
    public ExperimentsOptions Settings { get; init; } = new();

    /// <summary>The price book the verdict's cost guardrail uses. Default: empty (costs from the events' cost_usd only).</summary>
    public PriceBook Prices { get; init; } = PriceBook.Empty;

    /// <summary>The clock that says what "now" is. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
