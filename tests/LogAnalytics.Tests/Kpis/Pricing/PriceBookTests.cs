using LogAnalytics.Kpis.Pricing;

namespace LogAnalytics.Tests.Kpis.Pricing;

/// <summary>Price book arithmetic on hand-checked cases: currency, exchange rate, markup, aliases, and what is unpriced.</summary>
public sealed class PriceBookTests
{
    private const double Tolerance = 1e-12;

    /// <summary>The repository's config/pricing.json (the example users start from).</summary>
    internal static string ExampleBookPath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LogAnalytics.sln")))
        {
            dir = dir.Parent;
        }
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repository root not found"), "config", "pricing.json");
    }

    private static PriceBook Example() => PriceBook.Parse(File.ReadAllText(ExampleBookPath()), "config/pricing.json");

    private static RequestCost Cost(PriceBook book, string endpoint, string? model, long? input, long? output, long? total = null, double? costUsd = null, int status = 200) =>
        RequestCost.Of(book, endpoint, model, input, output, total, costUsd, status);

    [Theory]
    [InlineData("gpt-4.1", 8.00)]
    [InlineData("claude-sonnet-4.5", 15.00)]
    [InlineData("gemini-2.5-flash", 2.50)]
    [InlineData("deepseek-v3.2", 0.42)]
    public void The_example_book_ships_current_list_output_prices(string model, double outputPerMillion)
    {
        var price = Example().Find("any_endpoint", model);
        Assert.NotNull(price);
        Assert.Equal(outputPerMillion, price.OutputUsdPerMillion, Tolerance);
    }

    [Theory]
    [InlineData("gpt-4.1")]
    [InlineData("openai/gpt-4.1")]
    [InlineData("GPT-4.1-2025-04-14")]
    [InlineData("  OpenAI/GPT-4.1  ")]
    [InlineData("azure/gpt-4.1")]
    public void Router_spellings_of_one_model_get_one_price(string spelling)
    {
        var book = Example();
        Assert.Equal("gpt-4.1", book.ResolveModel(spelling));
        // 1,000 input x $2/M + 500 output x $8/M = $0.002 + $0.004
        var cost = Cost(book, "legacy", spelling, 1000, 500);
        Assert.Equal(CostSources.PriceBook, cost.Source);
        Assert.Equal(0.006, cost.Usd!.Value, Tolerance);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929")]
    [InlineData("claude-sonnet-4-5@20250929")]
    [InlineData("anthropic/claude-sonnet-4.5")]
    [InlineData("claude-4.5-sonnet")]
    public void Aliases_map_to_the_canonical_model(string spelling) =>
        Assert.Equal("claude-sonnet-4.5", Example().ResolveModel(spelling));

    [Fact]
    public void A_provider_billing_CNY_at_the_market_rate_is_converted_at_7_3_per_USD()
    {
        // relay_cny: 14.60 CNY input and 58.40 CNY output per million at 7.3 CNY per USD = $2 and $8.
        var price = Example().Find("relay_cny", "gpt-4.1")!;
        Assert.Equal("CNY", price.Currency);
        Assert.Equal(7.3, price.ExchangeRate);
        Assert.Equal(2.00, price.InputUsdPerMillion, 1e-9);
        Assert.Equal(8.00, price.OutputUsdPerMillion, 1e-9);
        // 2,000 in + 1,000 out: 2,000 x 14.60/7.3e6 + 1,000 x 58.40/7.3e6 = 0.004 + 0.008 = $0.012
        Assert.Equal(0.012, Cost(Example(), "relay_cny", "gpt-4.1", 2000, 1000).Usd!.Value, 1e-12);
    }

    [Fact]
    public void A_provider_billing_1_CNY_for_1_USD_and_one_at_7_3_come_out_differently_and_both_right()
    {
        const string book = """
        {
          "ExchangeRates": { "CNY": 7.3 },
          "Endpoints": {
            "at_market":  { "Currency": "CNY", "Prices": { "gpt-4.1": { "InputPerMillion": 8, "OutputPerMillion": 8 } } },
            "one_to_one": { "Currency": "CNY", "ExchangeRate": 1, "Prices": { "gpt-4.1": { "InputPerMillion": 8, "OutputPerMillion": 8 } } }
          }
        }
        """;
        var prices = PriceBook.Parse(book, "test");
        // 8 CNY at 7.3 CNY/USD = $1.0958904109589...; 8 CNY at 1 CNY/USD = $8.
        Assert.Equal(8 / 7.3, prices.Find("at_market", "gpt-4.1")!.OutputUsdPerMillion, Tolerance);
        Assert.Equal(1.0958904109589041, prices.Find("at_market", "gpt-4.1")!.OutputUsdPerMillion, 1e-15);
        Assert.Equal(8.0, prices.Find("one_to_one", "gpt-4.1")!.OutputUsdPerMillion, Tolerance);
        // One million output tokens on each.
        Assert.Equal(1.0958904109589041, Cost(prices, "at_market", "gpt-4.1", 0, 1_000_000).Usd!.Value, 1e-12);
        Assert.Equal(8.0, Cost(prices, "one_to_one", "gpt-4.1", 0, 1_000_000).Usd!.Value, 1e-12);
    }

    [Fact]
    public void A_quota_relay_selling_1_USD_of_list_price_for_1_CNY_costs_list_over_7_3()
    {
        // relay_quota: list figures in CNY at 7.3: Claude Sonnet 4.5 1,000 in x 3 + 1,000 out x 15 = 18,000 CNY-micro = 0.018 CNY = $0.0024657534...
        var cost = Cost(Example(), "relay_quota", "claude-sonnet-4-5", 1000, 1000);
        Assert.Equal(0.018 / 7.3, cost.Usd!.Value, 1e-15);
    }

    [Fact]
    public void An_endpoint_markup_applies_to_the_list_prices_it_falls_back_to()
    {
        // openrouter: list + 5.5 %: 1,000 output tokens of gpt-4.1 = 1,000 x $8/M x 1.055 = $0.00844
        var book = Example();
        Assert.Equal(0.00844, Cost(book, "openrouter", "openai/gpt-4.1", 0, 1000).Usd!.Value, 1e-15);
        Assert.Equal(0.055, book.Find("openrouter", "gpt-4.1")!.Markup);
        // Without a markup, the list price itself.
        Assert.Equal(0.008, Cost(book, "legacy", "gpt-4.1", 0, 1000).Usd!.Value, 1e-15);
    }

    [Fact]
    public void A_markup_on_an_endpoints_own_prices_is_applied_after_the_exchange_rate()
    {
        const string json = """{ "Endpoints": { "eu": { "Currency": "EUR", "ExchangeRate": 0.8, "Markup": 0.25, "Prices": { "m": { "InputPerMillion": 4, "OutputPerMillion": 10 } } } } }""";
        var price = PriceBook.Parse(json, "test").Find("eu", "m")!;
        // 4 EUR / 0.8 = $5, +25 % = $6.25; 10 EUR / 0.8 = $12.50, +25 % = $15.625
        Assert.Equal(6.25, price.InputUsdPerMillion, Tolerance);
        Assert.Equal(15.625, price.OutputUsdPerMillion, Tolerance);
    }

    [Fact]
    public void The_events_own_cost_wins_over_the_price_book()
    {
        var cost = Cost(Example(), "legacy", "gpt-4.1", 1000, 500, costUsd: 0.123);
        Assert.Equal((0.123, CostSources.Event), (cost.Usd!.Value, cost.Source));
    }

    [Fact]
    public void A_model_without_a_price_is_unpriced_never_zero()
    {
        var cost = Cost(Example(), "legacy", "mistral-large-2411", 1000, 500);
        Assert.Null(cost.Usd);
        Assert.Equal(CostSources.NoPrice, cost.Source);
        Assert.Equal("mistral-large-2411", cost.Model);
        Assert.False(CostSources.IsPriced(cost.Source));
    }

    [Fact]
    public void Missing_tokens_model_or_usage_say_why()
    {
        var book = Example();
        Assert.Equal(CostSources.NoTokens, Cost(book, "legacy", "gpt-4.1", null, null).Source);
        Assert.Equal(CostSources.NoModel, Cost(book, "legacy", null, 10, 10).Source);
        // A failed request that reported no usage was not billed: $0, and counted as priced.
        var failed = Cost(book, "legacy", "gpt-4.1", null, null, status: 503);
        Assert.Equal((0.0, CostSources.NotBilled), (failed.Usd!.Value, failed.Source));
        // The missing side is derived from total_tokens: 1,500 total - 500 output = 1,000 input.
        Assert.Equal(0.006, Cost(book, "legacy", "gpt-4.1", null, 500, total: 1500).Usd!.Value, 1e-15);
        // Only a total with different input and output prices cannot be priced.
        Assert.Equal(CostSources.NoTokens, Cost(book, "legacy", "gpt-4.1", null, null, total: 1500).Source);
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("""{ "Endpoints": { "*": { "Prices": { "m": { "InputPerMillion": -1, "OutputPerMillion": 2 } } } } }""", "Endpoints.*.Prices.m needs InputPerMillion and OutputPerMillion")]
    [InlineData("""{ "Endpoints": { "x": { "Currency": "JPY", "Prices": {} } } }""", "no exchange rate for JPY")]
    [InlineData("""{ "ExchangeRates": { "CNY": 0 }, "Endpoints": {} }""", "ExchangeRates.CNY must be > 0")]
    [InlineData("""{ "Models": { "a": { "Aliases": ["x"] }, "b": { "Aliases": ["x"] } }, "Endpoints": {} }""", "\"x\" is also an alias of a")]
    [InlineData("""{ "Endpoints": { "*": { "Prices": { "m": { "InputPerMillion": "2", "OutputPerMillion": 2 } } } } }""", "InputPerMillion must be a number")]
    [InlineData("""{ "Endpoint": {} }""", "Endpoint is not a price book key")]
    [InlineData("""{ "Endpoints": { "e": { "Markup": -0.1 } } }""", "Endpoints.e.Markup must be >= 0")]
    public void A_bad_price_book_is_refused_with_the_path_of_the_problem(string json, string expected)
    {
        var ex = Assert.Throws<PriceBookException>(() => PriceBook.Parse(json, "my-pricing.json"));
        Assert.StartsWith("my-pricing.json: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_file_is_reread_when_it_changes_and_a_broken_edit_keeps_the_last_good_prices()
    {
        var dir = Directory.CreateTempSubdirectory("la-pricing-").FullName;
        try
        {
            var path = Path.Combine(dir, "pricing.json");
            File.WriteAllText(path, """{ "Endpoints": { "*": { "Prices": { "m": { "InputPerMillion": 1, "OutputPerMillion": 2 } } } } }""");
            var file = PriceBookFile.Load(new PricingOptions { Path = path });
            Assert.Equal(2, file.Current.Find("e", "m")!.OutputUsdPerMillion);

            File.WriteAllText(path, """{ "Endpoints": { "*": { "Prices": { "m": { "InputPerMillion": 1, "OutputPerMillion": 3.5 } } } } }""");
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5));
            Assert.Equal(3.5, file.Current.Find("e", "m")!.OutputUsdPerMillion);

            File.WriteAllText(path, "{ broken");
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(10));
            Assert.Equal(3.5, file.Current.Find("e", "m")!.OutputUsdPerMillion);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_missing_file_is_an_empty_book_so_only_event_costs_count()
    {
        var file = PriceBookFile.Load(new PricingOptions { Path = Path.Combine(Path.GetTempPath(), "no-such-dir-la", "pricing.json") });
        Assert.Empty(file.Current.Prices);
        Assert.Equal(CostSources.NoPrice, RequestCost.Of(file.Current, "e", "gpt-4.1", 1, 1, 2, null, 200).Source);
        Assert.Equal(CostSources.Event, RequestCost.Of(file.Current, "e", "gpt-4.1", 1, 1, 2, 0.5, 200).Source);
    }
}
