using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LogAnalytics.Kpis.Pricing;

/// <summary>The price of one model on one endpoint, already converted to USD per million tokens (exchange rate and
/// markup applied).</summary>
/// <param name="Endpoint">The endpoint the price applies to; <c>*</c> is the list price used by every endpoint without its own.</param>
/// <param name="Model">The canonical model name (see <see cref="PriceBook.CanonicalModel"/>).</param>
/// <param name="InputUsdPerMillion">USD per million input (prompt) tokens.</param>
/// <param name="OutputUsdPerMillion">USD per million output (completion) tokens.</param>
/// <param name="Currency">The currency the price book states the price in.</param>
/// <param name="ExchangeRate">Units of <paramref name="Currency"/> per 1 USD used for the conversion.</param>
/// <param name="Markup">The markup applied, as a fraction (0.05 = +5 %).</param>
public sealed record ModelPrice(string Endpoint, string Model, double InputUsdPerMillion, double OutputUsdPerMillion, string Currency, double ExchangeRate, double Markup);

/// <summary>A price book could not be read; the message names the file and the JSON path of the problem.</summary>
public sealed class PriceBookException(string message) : Exception(message);

/// <summary>
/// The price book (config/pricing.json): per endpoint and model, prices per million input and output tokens in a
/// currency with an exchange rate and a markup, plus model aliases. Pure: parsed from text, no I/O.
/// <para>USD per million = price / ExchangeRate × (1 + Markup), where ExchangeRate is units of the endpoint's currency
/// per 1 USD (CNY billed at the market rate: 7.3; a provider that bills 1 CNY for 1 USD of list price: 1).</para>
/// <para>Lookup: the endpoint's own price for the canonical model, else the <c>*</c> list price with the endpoint's
/// markup; a model in neither is unpriced (never priced as zero).</para>
/// </summary>
public sealed partial class PriceBook
{
    /// <summary>The endpoint name of the list prices every endpoint falls back to.</summary>
    public const string AnyEndpoint = "*";

    private readonly Dictionary<(string Endpoint, string Model), ModelPrice> _prices;
    private readonly Dictionary<string, string> _aliases;
    private readonly Dictionary<string, double> _endpointMarkup;

    private PriceBook(Dictionary<(string, string), ModelPrice> prices, Dictionary<string, string> aliases, Dictionary<string, double> endpointMarkup, string source)
    {
        _prices = prices;
        _aliases = aliases;
        _endpointMarkup = endpointMarkup;
        Source = source;
    }

    /// <summary>A price book with no prices: every request without <c>cost_usd</c> is unpriced.</summary>
    public static PriceBook Empty { get; } = new([], new Dictionary<string, string>(StringComparer.Ordinal), new Dictionary<string, double>(StringComparer.Ordinal), "(none)");

    /// <summary>Where the book came from (a file path), for messages.</summary>
    public string Source { get; }

    /// <summary>Every stated price, converted to USD.</summary>
    public IReadOnlyList<ModelPrice> Prices => _prices.Values.OrderBy(p => p.Endpoint, StringComparer.Ordinal).ThenBy(p => p.Model, StringComparer.Ordinal).ToList();

    /// <summary>Alias (in canonical form) → canonical model name.</summary>
    public IReadOnlyDictionary<string, string> Aliases => _aliases;

    /// <summary>Markup per endpoint that has one (applied to <c>*</c> list prices it falls back to).</summary>
    public IReadOnlyDictionary<string, double> EndpointMarkup => _endpointMarkup;

    /// <summary>
    /// The canonical form of a model name as routers spell it: trimmed, lower case, without a vendor prefix
    /// (<c>openai/</c>) and without a trailing snapshot date (<c>-2025-04-14</c>, <c>-20250929</c>, <c>@20250929</c>).
    /// The SQL macro <c>canonical_model</c> (sql/migrations/0003) does the same.
    /// </summary>
    public static string CanonicalModel(string model)
    {
        var m = model.Trim().ToLowerInvariant();
        var slash = m.LastIndexOf('/');
        if (slash >= 0)
        {
            m = m[(slash + 1)..];
        }
        return SnapshotDate().Replace(m, "");
    }

    /// <summary>The model a router's name refers to: its canonical form, mapped through the aliases. Remembered per
    /// spelling (routers use a handful), since every request of every evaluation asks.</summary>
    public string ResolveModel(string model)
    {
        if (_resolved.TryGetValue(model, out var known))
        {
            return known;
        }
        var canonical = CanonicalModel(model);
        var resolved = _aliases.TryGetValue(canonical, out var target) ? target : canonical;
        if (_resolved.Count < MaxRememberedSpellings)
        {
            _resolved[model] = resolved;
        }
        return resolved;
    }

    private const int MaxRememberedSpellings = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _resolved = new(StringComparer.Ordinal);

    /// <summary>The USD price of <paramref name="model"/> on <paramref name="endpoint"/>, or null when the book has none.</summary>
    public ModelPrice? Find(string endpoint, string model)
    {
        var key = ResolveModel(model);
        if (_prices.TryGetValue((endpoint, key), out var own))
        {
            return own;
        }
        if (!_prices.TryGetValue((AnyEndpoint, key), out var list))
        {
            return null;
        }
        if (!_endpointMarkup.TryGetValue(endpoint, out var markup) || markup == 0)
        {
            return list with { Endpoint = endpoint };
        }
        var factor = (1 + markup) / (1 + list.Markup);
        return list with
        {
            Endpoint = endpoint,
            InputUsdPerMillion = list.InputUsdPerMillion * factor,
            OutputUsdPerMillion = list.OutputUsdPerMillion * factor,
            Markup = markup,
        };
    }

    /// <summary>Parses a price book; every problem is reported at once with its JSON path.</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">The file name, for messages.</param>
    /// <exception cref="PriceBookException">The text is not a valid price book.</exception>
    public static PriceBook Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new PriceBookException($"{source}: not valid JSON ({ex.Message})");
        }
        using (document)
        {
            var errors = new List<string>();
            var book = Read(document.RootElement, source, errors);
            if (errors.Count > 0)
            {
                throw new PriceBookException($"{source}: {string.Join("; ", errors)}");
            }
            return book;
        }
    }

    private static PriceBook Read(JsonElement root, string source, List<string> errors)
    {
        var prices = new Dictionary<(string, string), ModelPrice>();
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        var markups = new Dictionary<string, double>(StringComparer.Ordinal);
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add("the root must be a JSON object with ExchangeRates, Models and Endpoints");
            return Empty;
        }
        var rates = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase) { ["USD"] = 1.0 };
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "ExchangeRates":
                    foreach (var rate in Object(property.Value, "ExchangeRates", errors))
                    {
                        if (Number(rate.Value, $"ExchangeRates.{rate.Name}", errors) is { } r)
                        {
                            if (r > 0)
                            {
                                rates[rate.Name] = r;
                            }
                            else
                            {
                                errors.Add($"ExchangeRates.{rate.Name} must be > 0 (units of {rate.Name} per 1 USD, e.g. 7.3 for CNY)");
                            }
                        }
                    }
                    break;
                case "Models":
                    foreach (var model in Object(property.Value, "Models", errors))
                    {
                        ReadAliases(model, aliases, errors);
                    }
                    break;
                case "Endpoints":
                    break;
                default:
                    if (!property.Name.StartsWith("//", StringComparison.Ordinal) && property.Name != "$comment")
                    {
                        errors.Add($"{property.Name} is not a price book key (expected ExchangeRates, Models, Endpoints)");
                    }
                    break;
            }
        }
        if (root.TryGetProperty("Endpoints", out var endpoints))
        {
            foreach (var endpoint in Object(endpoints, "Endpoints", errors))
            {
                ReadEndpoint(endpoint, rates, aliases, prices, markups, errors);
            }
        }
        else
        {
            errors.Add("Endpoints is missing (give at least \"*\" with list prices)");
        }
        return new PriceBook(prices, aliases, markups, source);
    }

    private static void ReadAliases(JsonProperty model, Dictionary<string, string> aliases, List<string> errors)
    {
        var path = $"Models.{model.Name}";
        var canonical = CanonicalModel(model.Name);
        if (model.Value.ValueKind != JsonValueKind.Object || !model.Value.TryGetProperty("Aliases", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{path} must be an object with an Aliases array, e.g. {{ \"Aliases\": [\"openai/gpt-4.1\"] }}");
            return;
        }
        foreach (var alias in list.EnumerateArray())
        {
            if (alias.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(alias.GetString()))
            {
                errors.Add($"{path}.Aliases must hold non-empty strings");
                continue;
            }
            var key = CanonicalModel(alias.GetString()!);
            if (key == canonical)
            {
                continue; // already the same model once canonical
            }
            if (aliases.TryGetValue(key, out var other) && other != canonical)
            {
                errors.Add($"{path}.Aliases: \"{alias.GetString()}\" is also an alias of {other}");
                continue;
            }
            aliases[key] = canonical;
        }
    }

    private static void ReadEndpoint(JsonProperty endpoint, Dictionary<string, double> rates, Dictionary<string, string> aliases,
        Dictionary<(string, string), ModelPrice> prices, Dictionary<string, double> markups, List<string> errors)
    {
        var path = $"Endpoints.{endpoint.Name}";
        if (endpoint.Value.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{path} must be an object with Currency, ExchangeRate, Markup and Prices");
            return;
        }
        var e = endpoint.Value;
        var currency = "USD";
        if (e.TryGetProperty("Currency", out var c))
        {
            if (c.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(c.GetString()))
            {
                currency = c.GetString()!.Trim().ToUpperInvariant();
            }
            else
            {
                errors.Add($"{path}.Currency must be a currency code such as USD or CNY");
            }
        }
        double? rate = e.TryGetProperty("ExchangeRate", out var r) ? Number(r, $"{path}.ExchangeRate", errors) : null;
        if (rate is <= 0)
        {
            errors.Add($"{path}.ExchangeRate must be > 0 (units of {currency} per 1 USD)");
            rate = null;
        }
        rate ??= rates.TryGetValue(currency, out var known) ? known : null;
        if (rate is null)
        {
            errors.Add($"{path}: no exchange rate for {currency}: set {path}.ExchangeRate or ExchangeRates.{currency} (units of {currency} per 1 USD)");
            rate = double.NaN;
        }
        var markup = e.TryGetProperty("Markup", out var m) ? Number(m, $"{path}.Markup", errors) ?? 0 : 0;
        if (markup < 0)
        {
            errors.Add($"{path}.Markup must be >= 0 (a fraction: 0.05 = +5 %)");
        }
        if (markup != 0)
        {
            markups[endpoint.Name] = markup;
        }
        foreach (var property in e.EnumerateObject())
        {
            if (property.Name is not ("Currency" or "ExchangeRate" or "Markup" or "Prices") && !property.Name.StartsWith("//", StringComparison.Ordinal))
            {
                errors.Add($"{path}.{property.Name} is not an endpoint key (expected Currency, ExchangeRate, Markup, Prices)");
            }
        }
        if (!e.TryGetProperty("Prices", out var list))
        {
            return; // an endpoint may only set a markup over the list prices
        }
        foreach (var model in Object(list, $"{path}.Prices", errors))
        {
            var modelPath = $"{path}.Prices.{model.Name}";
            var input = model.Value.ValueKind == JsonValueKind.Object && model.Value.TryGetProperty("InputPerMillion", out var i) ? Number(i, $"{modelPath}.InputPerMillion", errors) : null;
            var output = model.Value.ValueKind == JsonValueKind.Object && model.Value.TryGetProperty("OutputPerMillion", out var o) ? Number(o, $"{modelPath}.OutputPerMillion", errors) : null;
            if (input is null || output is null || input < 0 || output < 0)
            {
                errors.Add($"{modelPath} needs InputPerMillion and OutputPerMillion, numbers >= 0 in {currency} per million tokens");
                continue;
            }
            var canonical = CanonicalModel(model.Name);
            var key = aliases.TryGetValue(canonical, out var target) ? target : canonical;
            if (prices.ContainsKey((endpoint.Name, key)))
            {
                errors.Add($"{modelPath}: {key} is priced twice on {endpoint.Name} (an alias and its model?)");
                continue;
            }
            var factor = (1 + markup) / rate.Value;
            prices[(endpoint.Name, key)] = new ModelPrice(endpoint.Name, key, input.Value * factor, output.Value * factor, currency, rate.Value, markup);
        }
    }

    private static IEnumerable<JsonProperty> Object(JsonElement element, string path, List<string> errors)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{path} must be a JSON object");
            return [];
        }
        return element.EnumerateObject().Where(p => !p.Name.StartsWith("//", StringComparison.Ordinal));
    }

    private static double? Number(JsonElement element, string path, List<string> errors)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var value) && double.IsFinite(value))
        {
            return value;
        }
        errors.Add($"{path} must be a number, not {element.GetRawText()}");
        return null;
    }

    /// <summary>A trailing snapshot date: -2025-04-14, -20250929 or @20250929.</summary>
    [GeneratedRegex(@"[-@](\d{4}-\d{2}-\d{2}|\d{8})$", RegexOptions.CultureInvariant)]
    private static partial Regex SnapshotDate();

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Source}: {_prices.Count} prices, {_aliases.Count} aliases");
}
