using System.Globalization;
using System.Text;

namespace LogAnalytics.Storage.Lake;

/// <summary>
/// A lake file's name, deterministic from what it holds (like Kafka Connect's S3 sink):
/// <c>&lt;source&gt;+&lt;partition&gt;+&lt;from&gt;-&lt;to&gt;.parquet</c>, offsets zero-padded to 19 digits so that names sort
/// by offset. <c>from</c>..<c>to</c> (inclusive) is the source range the file's flush covered: every row of that
/// partition and range that belongs in the file's folder is in it. A crash and restart rewrites the same range under
/// the same name; a compacted file names the union of the ranges it replaces.
/// </summary>
public readonly record struct LakeFileName(string Source, int Partition, long From, long To)
{
    /// <summary>The file extension.</summary>
    public const string Extension = ".parquet";

    /// <summary>True when this file's range covers all of <paramref name="other"/>'s (a compacted file covers the files
    /// it replaced).</summary>
    public bool Covers(LakeFileName other) =>
        other.Source == Source && other.Partition == Partition && From <= other.From && other.To <= To;

    /// <summary>The file name, e.g. <c>router-logs+2+0000000000000001000-0000000000000001999.parquet</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Escape(Source)}+{Partition}+{From:D19}-{To:D19}{Extension}");

    /// <summary>The name without extension (used for offset markers).</summary>
    public string Stem => ToString()[..^Extension.Length];

    /// <summary>Parses a name written by <see cref="ToString"/> (with or without the extension); false for any other
    /// file (temporary files, files an analyst dropped into the lake).</summary>
    public static bool TryParse(string fileName, out LakeFileName name)
    {
        name = default;
        var stem = fileName.EndsWith(Extension, StringComparison.Ordinal) ? fileName[..^Extension.Length] : fileName;
        var parts = stem.Split('+');
        if (parts.Length != 3 || parts[0].Length == 0 || parts[0][0] is '.' or '_')
        {
            return false;
        }
        var range = parts[2].Split('-');
        if (range.Length != 2
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
            || !long.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
            || !long.TryParse(range[1], NumberStyles.None, CultureInfo.InvariantCulture, out var to)
            || to < from)
        {
            return false;
        }
        var source = Unescape(parts[0]);
        if (source is null)
        {
            return false;
        }
        name = new LakeFileName(source, partition, from, to);
        return true;
    }

    /// <summary>Percent-encodes every character outside <c>[A-Za-z0-9._-]</c> (as Hive does for partition values), so
    /// a Kafka topic keeps its name and a replayed file's <c>file:&lt;sha256&gt;</c> becomes <c>file%3A...</c>.</summary>
    public static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }

    private static string? Unescape(string value)
    {
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            return null;
        }
    }
}

/// <summary>The hive folder of a lake file: <c>&lt;table&gt;/experiment=&lt;id&gt;/date=&lt;yyyy-MM-dd&gt;/hour=&lt;H&gt;</c>
/// (UTC). Events without an experiment are in <c>experiment=default</c>, as everywhere else; an empty experiment
/// (quarantined messages, which could not be decoded) leaves the level out: <c>quarantine/date=/hour=</c>.</summary>
public readonly record struct LakeFolder(string Table, string Experiment, DateTime Hour)
{
    /// <summary>The folder relative to the lake root.</summary>
    public string RelativePath => Path.Combine(Table, Experiment.Length == 0 ? "" : "experiment=" + LakeFileName.Escape(Experiment),
        "date=" + Hour.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        "hour=" + Hour.Hour.ToString(CultureInfo.InvariantCulture));

    /// <summary>When the hour ends (UTC).</summary>
    public DateTime HourEnd => Hour.AddHours(1);
}
