using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace LogAnalytics.IntegrationTests.Support;

/// <summary>README's Argo Rollouts AnalysisTemplate, read as YAML, and the rules Argo applies to it (from
/// argoproj/argo-rollouts: metricproviders/webmetric parseResponse, utils/evaluate EvaluateResult, analysis
/// assessMetricStatus): a non-2xx answer or a missing JSON path is an Error; failureCondition true = Failed;
/// successCondition true = Successful; both false = Inconclusive.</summary>
internal sealed partial class ArgoAnalysis
{
    public required string JsonPath { get; init; }
    public required string SuccessCondition { get; init; }
    public required string FailureCondition { get; init; }
    public required int Count { get; init; }
    public required int FailureLimit { get; init; }
    public required int InconclusiveLimit { get; init; }
    public required int ConsecutiveErrorLimit { get; init; }
    public int ConsecutiveSuccessLimit { get; init; }
    public required string Url { get; init; }

    public static string ReadmePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "README.md");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "LogAnalytics.sln")))
            {
                return candidate;
            }
        }
        throw new FileNotFoundException("README.md of the repository not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The ```yaml blocks of README.md.</summary>
    public static IReadOnlyList<string> YamlBlocks() =>
        YamlBlock().Matches(File.ReadAllText(ReadmePath())).Select(m => m.Groups[1].Value).ToList();

    /// <summary>The metric <paramref name="metricName"/> of README's AnalysisTemplate.</summary>
    public static ArgoAnalysis FromReadme(string metricName = "verdict")
    {
        var block = Assert.Single(YamlBlocks(), b => b.Contains("kind: AnalysisTemplate", StringComparison.Ordinal));
        var yaml = new YamlStream();
        yaml.Load(new StringReader(block));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("argoproj.io/v1alpha1", Scalar(root, "apiVersion"));
        var metrics = (YamlSequenceNode)((YamlMappingNode)root["spec"])["metrics"];
        var metric = metrics.Children.Cast<YamlMappingNode>().Single(m => Scalar(m, "name") == metricName);
        var web = (YamlMappingNode)((YamlMappingNode)metric["provider"])["web"];
        return new ArgoAnalysis
        {
            JsonPath = Scalar(web, "jsonPath")!,
            Url = Scalar(web, "url")!,
            SuccessCondition = Scalar(metric, "successCondition") ?? "",
            FailureCondition = Scalar(metric, "failureCondition") ?? "",
            Count = int.Parse(Scalar(metric, "count") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            FailureLimit = int.Parse(Scalar(metric, "failureLimit") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            InconclusiveLimit = int.Parse(Scalar(metric, "inconclusiveLimit") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            ConsecutiveErrorLimit = int.Parse(Scalar(metric, "consecutiveErrorLimit") ?? "4", System.Globalization.CultureInfo.InvariantCulture),
            ConsecutiveSuccessLimit = int.Parse(Scalar(metric, "consecutiveSuccessLimit") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var v) ? ((YamlScalarNode)v).Value : null;

    /// <summary>One measurement of the Web provider on an HTTP answer: Successful, Failed, Inconclusive or Error.</summary>
    public string Measure(int statusCode, string body)
    {
        if (statusCode is < 200 or >= 300)
        {
            return "Error";
        }
        object? result;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!TryFind(doc.RootElement, JsonPath, out var found))
            {
                return "Error"; // "Could not find JSONPath in body"
            }
            result = found.ValueKind switch
            {
                JsonValueKind.String => found.GetString(),
                JsonValueKind.Number => found.GetDouble(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => found.GetRawText(),
            };
        }
        catch (JsonException)
        {
            result = body; // Argo evaluates a non-JSON body as a string: why no answer here may be plain text
        }
        var success = SuccessCondition.Length > 0 && Eval(SuccessCondition, result);
        var failure = FailureCondition.Length > 0 && Eval(FailureCondition, result);
        if (SuccessCondition.Length == 0 && FailureCondition.Length == 0)
        {
            return "Successful";
        }
        if (FailureCondition.Length == 0)
        {
            failure = !success;
        }
        if (SuccessCondition.Length == 0)
        {
            success = !failure;
        }
        return failure ? "Failed" : success ? "Successful" : "Inconclusive";
    }

    /// <summary>The metric's phase after a sequence of measurements (assessMetricStatus), or Running.</summary>
    public string Assess(IEnumerable<string> measurements)
    {
        int failed = 0, inconclusive = 0, consecutiveError = 0, consecutiveSuccess = 0, count = 0;
        foreach (var m in measurements)
        {
            switch (m)
            {
                case "Successful": count++; consecutiveError = 0; consecutiveSuccess++; break;
                case "Failed": count++; failed++; consecutiveError = 0; consecutiveSuccess = 0; break;
                case "Inconclusive": count++; inconclusive++; consecutiveError = 0; consecutiveSuccess = 0; break;
                case "Error": consecutiveError++; consecutiveSuccess = 0; break;
                default: throw new ArgumentException(m);
            }
            string? phase = null;
            if (FailureLimit >= 0 && failed > FailureLimit)
            {
                phase = "Failed";
            }
            if (inconclusive > InconclusiveLimit)
            {
                phase = "Inconclusive";
            }
            if (consecutiveError > ConsecutiveErrorLimit)
            {
                phase = "Error";
            }
            if (phase is not null)
            {
                return phase;
            }
            if (ConsecutiveSuccessLimit > 0 && consecutiveSuccess >= ConsecutiveSuccessLimit)
            {
                return "Successful";
            }
            if (count >= Count)
            {
                var failureApplicable = FailureLimit >= 0;
                var successApplicable = ConsecutiveSuccessLimit > 0;
                return failureApplicable && successApplicable ? "Inconclusive" : successApplicable ? "Failed" : "Successful";
            }
        }
        return "Running";
    }

    /// <summary>The subset of Kubernetes JSONPath README uses: <c>{$.a.b}</c>.</summary>
    private static bool TryFind(JsonElement root, string jsonPath, out JsonElement found)
    {
        var m = JsonPathPattern().Match(jsonPath);
        Assert.True(m.Success, $"jsonPath {jsonPath} is not of the form {{$.a.b}}");
        found = root;
        foreach (var segment in m.Groups[1].Value.Split('.'))
        {
            if (found.ValueKind != JsonValueKind.Object || !found.TryGetProperty(segment, out found))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The subset of Argo's expr conditions README uses: <c>result == "text"</c>.</summary>
    private static bool Eval(string condition, object? result)
    {
        var m = ConditionPattern().Match(condition.Trim());
        Assert.True(m.Success, $"condition {condition} is not of the form result == \"text\"");
        return result is string s && s == m.Groups[1].Value;
    }

    [GeneratedRegex("```yaml\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex YamlBlock();

    [GeneratedRegex("""^\{\$\.([A-Za-z0-9_.]+)\}$""")]
    private static partial Regex JsonPathPattern();

    [GeneratedRegex("""^result == "([^"]*)"$""")]
    private static partial Regex ConditionPattern();
}
