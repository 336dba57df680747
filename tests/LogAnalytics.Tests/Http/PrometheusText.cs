using System.Globalization;
using System.Text.RegularExpressions;

namespace LogAnalytics.Tests.Http;

/// <summary>A strict reader of the Prometheus text exposition format (0.0.4): every sample line must parse, belong to
/// a family declared by <c># TYPE</c>, and carry a float value.</summary>
internal static partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public static (IReadOnlyDictionary<string, string> Types, IReadOnlyList<Sample> Samples) Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.Equal(4, parts.Length);
                Assert.Contains(parts[3], new[] { "counter", "gauge", "histogram", "summary", "untyped" });
                types[parts[2]] = parts[3];
                continue;
            }
            Assert.False(line.StartsWith('#'), $"unexpected comment: {line}");
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match l in LabelPair().Matches(m.Groups["labels"].Value))
            {
                labels[l.Groups[1].Value] = l.Groups[2].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }
            var name = m.Groups["name"].Value;
            var family = types.Keys.FirstOrDefault(t => name == t || name == t + "_bucket" || name == t + "_sum" || name == t + "_count");
            Assert.True(family is not null, $"sample {name} has no # TYPE line before it");
            samples.Add(new Sample(name, labels, double.Parse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture)));
        }
        return (types, samples);
    }

    public static double? Value(IReadOnlyList<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value))
            .Select(s => (double?)s.Value).SingleOrDefault();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>[^ ]+)( [0-9]+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?""")]
    private static partial Regex LabelPair();
}
