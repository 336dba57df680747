using System.Text.Json;
using Json.Schema;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Verdicts;

/// <summary>The verdict contract, schema/verdict.v1.json (JSON Schema 2020-12), and a check that a verdict's JSON obeys it.</summary>
internal static class VerdictContract
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromText(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schema", "verdict.v1.json"))));

    private static readonly EvaluationOptions Options = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    /// <summary>The schema's errors for <paramref name="json"/>, one line each; empty when valid.</summary>
    public static IReadOnlyList<string> Errors(string json)
    {
        using var document = JsonDocument.Parse(json);
        var result = Schema.Value.Evaluate(document.RootElement, Options);
        if (result.IsValid)
        {
            return [];
        }
        return (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
            .DefaultIfEmpty("invalid (no details)").ToList();
    }

    /// <summary>Fails the test unless <paramref name="json"/> (a verdict as printed or published) obeys the contract;
    /// returns it parsed.</summary>
    public static Verdict ParseValid(string json)
    {
        var errors = Errors(json);
        Assert.True(errors.Count == 0, $"verdict breaks schema/verdict.v1.json:\n{string.Join("\n", errors)}\n{json}");
        return Verdict.FromJson(json)!;
    }

    /// <summary>Fails the test unless the verdict's published JSON obeys the contract; returns the verdict.</summary>
    public static Verdict AssertValid(Verdict verdict)
    {
        var errors = Errors(verdict.ToJson());
        Assert.True(errors.Count == 0, $"verdict of {verdict.Experiment} breaks schema/verdict.v1.json:\n{string.Join("\n", errors)}\n{verdict.ToJson()}");
        return verdict;
    }
}
