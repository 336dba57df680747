using System.ComponentModel.DataAnnotations;

namespace LogAnalytics.Storage;

/// <summary>Configuration section <c>Storage</c>: where the DuckDB file lives and how analysts read it.</summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Storage";

    /// <summary><c>Storage:DatabasePath</c>: the DuckDB file the worker owns. Default <c>loganalytics.duckdb</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DatabasePath { get; set; } = "loganalytics.duckdb";

    /// <summary><c>Storage:SnapshotPath</c>: a read-only copy for analysts, replaced atomically every
    /// <see cref="SnapshotIntervalSeconds"/>. Default: the database path with <c>.snapshot.duckdb</c>. Empty disables it.</summary>
    public string? SnapshotPath { get; set; }

    /// <summary><c>Storage:SnapshotIntervalSeconds</c>: how often the analyst snapshot is refreshed. Default 30; 0 disables it.</summary>
    [Range(0, 86_400)]
    public int SnapshotIntervalSeconds { get; set; } = 30;

    /// <summary>The snapshot path in effect (explicit, or derived from <see cref="DatabasePath"/>), or null when disabled.</summary>
    public string? EffectiveSnapshotPath => SnapshotIntervalSeconds == 0 || SnapshotPath == ""
        ? null
        : SnapshotPath ?? DeriveSnapshotPath(DatabasePath);

    /// <summary>The default snapshot path for a database file.</summary>
    public static string DeriveSnapshotPath(string databasePath) =>
        Path.ChangeExtension(databasePath, null) + ".snapshot.duckdb";
}
