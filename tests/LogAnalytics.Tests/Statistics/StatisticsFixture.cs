using System.Collections.Concurrent;
using System.Text.Json;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

/// <summary>
/// One JSON fixture written by reference/make_reference.py: named cases whose inputs and scipy/statsmodels outputs
/// are stored, plus shared data sets referred to by name. Loaded once per file.
/// </summary>
internal sealed class StatisticsFixture
{
    private static readonly ConcurrentDictionary<string, StatisticsFixture> Cache = new();
    private readonly Dictionary<string, JsonElement> _cases;
    private readonly Dictionary<string, double[]> _data;

    private StatisticsFixture(JsonDocument document)
    {
        var root = document.RootElement;
        Reference = root.GetProperty("reference").GetString()!;
        _cases = root.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        _data = root.TryGetProperty("data_sets", out var sets)
            ? sets.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(v => v.GetDouble()).ToArray())
            : [];
    }

    public string Reference { get; }

    public IEnumerable<string> CaseNames => _cases.Keys;

    public static StatisticsFixture Load(string file) => Cache.GetOrAdd(file, f =>
        new StatisticsFixture(JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "statistics", f)))));

    public static TheoryData<string> Cases(string file)
    {
        var data = new TheoryData<string>();
        foreach (var name in Load(file).CaseNames)
        {
            data.Add(name);
        }

        return data;
    }

    public JsonElement Case(string name) => _cases[name];

    /// <summary>The data set a case names in its <paramref name="property"/> field.</summary>
    public double[] Data(JsonElement testCase, string property) => _data[testCase.GetProperty(property).GetString()!];
}

internal static class JsonCaseExtensions
{
    /// <summary>A number, or NaN for a JSON null (the script writes non-finite values as null).</summary>
    public static double Number(this JsonElement element, string property)
    {
        var value = element.GetProperty(property);
        return value.ValueKind == JsonValueKind.Null ? double.NaN : value.GetDouble();
    }

    public static bool IsNull(this JsonElement element, string property) =>
        element.GetProperty(property).ValueKind == JsonValueKind.Null;

    public static long Integer(this JsonElement element, string property) => element.GetProperty(property).GetInt64();

    public static double[] Numbers(this JsonElement element, string property) =>
        element.GetProperty(property).EnumerateArray().Select(v => v.GetDouble()).ToArray();
}

/// <summary>Comparison within a relative tolerance, with an absolute floor for values near zero.</summary>
internal static class Approx
{
    public static void Equal(double expected, double actual, double relative = 1e-9, double absolute = 1e-300, string label = "")
    {
        if (double.IsNaN(expected) && double.IsNaN(actual))
        {
            return;
        }

        if (expected == actual)
        {
            return; // also equal infinities
        }

        var tolerance = Math.Max(absolute, relative * Math.Abs(expected));
        if (!(Math.Abs(expected - actual) <= tolerance))
        {
            Assert.Fail($"{label}: expected {expected:R}, actual {actual:R}, |diff| {Math.Abs(expected - actual):R} > tolerance {tolerance:R}");
        }
    }
}
