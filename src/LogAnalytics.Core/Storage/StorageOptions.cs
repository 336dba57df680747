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

    /// <summary><c>Storage:SnapshotPath</c>: a read-only copy of the whole database for small installations, replaced
    /// atomically every <see cref="SnapshotIntervalSeconds"/> by a background service (never the ingestion thread).
    /// Default: the database path with <c>.snapshot.duckdb</c>. Empty disables it. Off unless
    /// <see cref="SnapshotIntervalSeconds"/> is set: analysts read the lake (<see cref="LakePath"/>).</summary>
    public string? SnapshotPath { get; set; }

    /// <summary><c>Storage:SnapshotIntervalSeconds</c>: how often the whole-database snapshot is refreshed. Default 0:
    /// off (its cost grows with everything stored; the lake's does not).</summary>
    [Range(0, 86_400)]
    public int SnapshotIntervalSeconds { get; set; }

    /// <summary><c>Storage:LakePath</c>: the folder of the analysts' Parquet lake (hive-partitioned by table, experiment,
    /// date and hour). Default: the database path without extension plus <c>.lake/</c>. Empty disables the lake.</summary>
    public string? LakePath { get; set; }

    /// <summary><c>Storage:LakeShared</c>: the lake is a volume shared by several workers of one <c>Kafka:GroupId</c>
    /// (each with its own DuckDB file). Then no worker publishes verdicts, even one owning every partition: one
    /// <c>loganalytics evaluate --lake</c> process judges the whole lake; and a worker resumes each partition it is
    /// assigned from the later of its own stored offset and the lake's durable offset. Default false.</summary>
    public bool LakeShared { get; set; }

    /// <summary><c>Storage:LakeFlushSeconds</c>: a stored row is in the lake within this many seconds. Default 60.</summary>
    [Range(1, 86_400)]
    public int LakeFlushSeconds { get; set; } = 60;

    /// <summary><c>Storage:RetentionDays</c>: rows older than this, already in the lake and outside every open
    /// experiment window, are deleted from the DuckDB file. Default 14; 0 keeps everything.</summary>
    [Range(0, 36_500)]
    public int RetentionDays { get; set; } = 14;

    /// <summary><c>Storage:DatabaseMemoryLimitMiB</c>: the most memory DuckDB may use for the worker's database (its
    /// cache of table blocks, rows not yet checkpointed, query state), shared by every connection of the process; beyond
    /// it DuckDB evicts cached blocks and spills to <c>&lt;db&gt;.tmp/</c>. Default
    /// <see cref="DefaultDatabaseMemoryLimitMiB"/> (128); 0 leaves DuckDB's own default, 80 % of the machine's
    /// memory.</summary>
    public int DatabaseMemoryLimitMiB { get; set; } = DefaultDatabaseMemoryLimitMiB;

    /// <summary>The default of <see cref="DatabaseMemoryLimitMiB"/>: 128 MiB. The 20 M-event soak keeps the worker's
    /// peak RSS within 1.15x of its first million with it (1.35x with 256 MiB), at the same ingestion rate, and one
    /// evaluation of a million-request window reads it as fast as with 256 MiB (README, Benchmarks).</summary>
    public const int DefaultDatabaseMemoryLimitMiB = 128;

    /// <summary>The smallest <see cref="DatabaseMemoryLimitMiB"/> accepted other than 0 (a few of DuckDB's 256 KiB blocks
    /// per table and query would leave it spilling nearly everything).</summary>
    public const int MinimumDatabaseMemoryLimitMiB = 64;

    /// <summary><c>Storage:CheckpointThresholdMiB</c>: how much write-ahead log DuckDB lets grow before it checkpoints
    /// (compresses the rows committed since the last checkpoint into the database file). Every checkpoint rewrites the
    /// table's last, partly filled row group, so with batches of a few thousand rows DuckDB's default of 16 MiB
    /// compresses the same rows several times over. Default <see cref="DefaultCheckpointThresholdMiB"/> (32); 0 leaves
    /// DuckDB's own default (16 MiB). Rows not yet checkpointed are held in memory and replayed from the log after a
    /// crash, so it may be at most half of <see cref="DatabaseMemoryLimitMiB"/>.</summary>
    public int CheckpointThresholdMiB { get; set; } = DefaultCheckpointThresholdMiB;

    /// <summary>The default of <see cref="CheckpointThresholdMiB"/>: 32 MiB. With batches of 5,000 rows it about halves
    /// the p99 batch commit time and cuts DuckDB's CPU per stored row by about a fifth against DuckDB's 16 MiB, with the
    /// process's peak RSS no higher (README, Benchmarks: "Checkpoints").</summary>
    public const int DefaultCheckpointThresholdMiB = 32;

    /// <summary>The lake folder in effect (explicit, or derived from <see cref="DatabasePath"/>), or null when disabled
    /// or the database is in memory.</summary>
    public string? EffectiveLakePath => LakePath == "" || DatabasePath == ":memory:"
        ? null
        : Path.GetFullPath(LakePath ?? DeriveLakePath(DatabasePath));

    /// <summary>The default lake folder for a database file: <c>data/loganalytics.duckdb</c> -> <c>data/loganalytics.lake</c>.</summary>
    public static string DeriveLakePath(string databasePath) => Path.ChangeExtension(databasePath, null) + ".lake";

    /// <summary>The snapshot path in effect (explicit, or derived from <see cref="DatabasePath"/>), or null when disabled.</summary>
    public string? EffectiveSnapshotPath => SnapshotIntervalSeconds == 0 || SnapshotPath == ""
        ? null
        : SnapshotPath ?? DeriveSnapshotPath(DatabasePath);

    /// <summary>The default snapshot path for a database file.</summary>
    public static string DeriveSnapshotPath(string databasePath) =>
        Path.ChangeExtension(databasePath, null) + ".snapshot.duckdb";
}
