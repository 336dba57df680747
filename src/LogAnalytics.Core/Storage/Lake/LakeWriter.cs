using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;

namespace LogAnalytics.Storage.Lake;

/// <summary>
/// Copies newly stored rows from the worker's DuckDB to the Parquet lake, through a connection of its own to the same
/// database instance (never the ingestion thread's).
/// <list type="bullet">
/// <item>Which rows: per source partition, the range from the lake's durable offset up to the stored next offset, read
/// in one DuckDB transaction (rows and offsets are committed together, so the snapshot holds every row of the range).</item>
/// <item>Each file goes to <c>_tmp/</c> first and is renamed into its hive folder: a reader sees whole files only.</item>
/// <item>Durable offsets: after every file of a range is in place, a marker <c>_offsets/&lt;source&gt;+&lt;partition&gt;+&lt;from&gt;-&lt;to&gt;</c>
/// is renamed into place and the previous one removed. The lake's durable offset of a partition is its newest marker's
/// <c>to + 1</c>: it is recovered from file names alone (no state outside the lake).</item>
/// <item>Crash during a flush: data files of the range beyond the durable offset are on disk, the marker is not. On start
/// the same range (read from those files' names) is written again under the same names, replacing them: the lake holds
/// each row once.</item>
/// <item>Compaction: once an hour is sealed, the files of each partition in its folder become one file named by the union
/// of their ranges; it is renamed into place before the small files are deleted. A reader listing the folder between
/// the two steps can see both, so the views in sql/lake keep one row per (source, source_partition, source_offset).</item>
/// </list>
/// Not thread-safe: one <see cref="LakeService"/> drives it.
/// </summary>
public sealed class LakeWriter
{
    /// <summary>Folder of the durable-offset markers (ignored by readers: it is outside every table folder).</summary>
    public const string OffsetsFolder = "_offsets";

    /// <summary>The pseudo-source of the <c>verdicts</c> files, whose "offsets" are <c>evaluated_at</c> in microseconds.</summary>
    public const string VerdictSource = "verdicts:evaluated_at";

    /// <summary>Folder of files being written (renamed into place when complete), with one subfolder per writer so
    /// that workers sharing a lake never remove each other's files in progress.</summary>
    public const string TempFolder = "_tmp";

    /// <summary>The tables written to the lake, with the column that decides the hour and the column that grows with
    /// every write (used to skip old row groups; null = scan the range without it).</summary>
    internal static readonly IReadOnlyList<(string Name, string TimeColumn, string? WrittenColumn)> Tables =
    [
        ("requests", "ts", "ingested_at"),
        ("validations", "ts", "ingested_at"),
        ("stages", "ts", "ingested_at"),
        ("quarantine", "received_at", null),
    ];

    private const long MicrosPerHour = 3_600_000_000;

    /// <summary>How far back from the last flush's write time a new row's write time may lie (clock steps).</summary>
    private static readonly TimeSpan WrittenSlack = TimeSpan.FromMinutes(5);

    private readonly DuckDBConnection _connection;
    private readonly string _root;
    private readonly TimeSpan _sealAfter;
    private readonly Dictionary<(string Source, int Partition), long> _durable = new();
    private readonly Dictionary<(string Source, int Partition), DateTimeOffset> _writtenFloor = new();
    private readonly Dictionary<(string Source, int Partition), (long From, long To)> _redo = new();
    private readonly Dictionary<string, (DateTime HourEnd, DateTimeOffset LastWrite)> _openFolders = new(StringComparer.Ordinal);
    private bool _interrupted;

    /// <summary>Creates a writer for the lake folder <paramref name="root"/>; call <see cref="Recover"/> first.</summary>
    /// <param name="connection">A connection to the worker's database (its own, not the ingestion thread's).</param>
    /// <param name="root">The lake folder.</param>
    /// <param name="sealAfter">How long after an hour ends (and after its last write) its files are compacted.</param>
    /// <param name="writerId">Names this writer's temporary folder; stable across restarts of the same worker (the
    /// default derives it from the database file). Default "worker".</param>
    public LakeWriter(DuckDBConnection connection, string root, TimeSpan sealAfter, string writerId = "worker")
    {
        _connection = connection;
        _root = Path.GetFullPath(root);
        _sealAfter = sealAfter;
        _temp = Path.Combine(_root, TempFolder, LakeFileName.Escape(writerId));
    }

    private string _temp;

    /// <summary>A stable writer id for the worker that owns <paramref name="databasePath"/>: its file name and a hash
    /// of its full path.</summary>
    public static string WriterIdFor(string databasePath)
    {
        var full = Path.GetFullPath(databasePath);
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..8].ToLowerInvariant();
        return Path.GetFileNameWithoutExtension(full) + "-" + hash;
    }

    /// <summary>The lake folder.</summary>
    public string Root => _root;

    /// <summary>Several workers write this lake (<c>Storage:LakeShared</c>): each writes its temporary files in a folder
    /// of its own under <c>_tmp/</c>, and no writer deletes or rewrites data files beyond the durable offset on
    /// recovery (they may be another worker's flush in progress). Default false.</summary>
    /// <remarks>In a shared lake the folder's name also carries a random part: several workers may share a database file name
    /// (one per pod), and a restarted worker must never delete another one's files in progress.</remarks>
    public bool Shared
    {
        get => _shared;
        init
        {
            _shared = value;
            if (value)
            {
                _temp += "-" + Guid.NewGuid().ToString("N")[..12];
            }
        }
    }

    private readonly bool _shared;

    /// <summary>For tests: runs after a compacted file is in place and before the files it replaces are deleted.</summary>
    internal Action<string>? AfterCompactedFileVisible { get; set; }

    /// <summary>The next offset not yet in the lake, per source partition (what retention may delete below).</summary>
    public IReadOnlyDictionary<(string Source, int Partition), long> DurableOffsets => _durable;

    /// <summary>Reads the durable offsets from the markers, removes leftovers of an interrupted write, and plans the
    /// rewrite of a range whose files were renamed into place before a crash but whose marker was not.</summary>
    public void Recover()
    {
        Directory.CreateDirectory(_root);
        if (Directory.Exists(_temp))
        {
            Directory.Delete(_temp, recursive: true);
        }
        Directory.CreateDirectory(_temp);
        Directory.CreateDirectory(Path.Combine(_root, OffsetsFolder));
        WriteEmptyFiles();
        _durable.Clear();
        _redo.Clear();
        foreach (var (key, next) in ReadDurableOffsets(_root, deleteSuperseded: true))
        {
            _durable[key] = next;
        }

        var orphans = new Dictionary<(string, int), List<(string Path, LakeFileName Name)>>();
        foreach (var (path, name) in DataFiles())
        {
            var key = (name.Source, name.Partition);
            // In a shared lake a file beyond the durable offset may be another worker's flush in progress (its marker
            // follows): never delete or rewrite it. Readers keep one row per source position, so a range written
            // twice (a crash before the marker, a zombie's late file) is harmless.
            if (!Shared && name.From >= _durable.GetValueOrDefault(key))
            {
                if (!orphans.TryGetValue(key, out var list))
                {
                    orphans[key] = list = [];
                }
                list.Add((path, name));
            }
            else
            {
                Track(Path.GetDirectoryName(path)!, DateTimeOffset.MinValue);
            }
        }
        foreach (var (key, files) in orphans)
        {
            var ranges = files.Select(f => (f.Name.From, f.Name.To)).Distinct().ToList();
            if (ranges.Count == 1 && ranges[0].From == _durable.GetValueOrDefault(key))
            {
                _redo[key] = ranges[0];
            }
            else
            {
                files.ForEach(f => File.Delete(f.Path));
            }
        }
    }

    /// <summary>Gives every table one file with no rows (<c>_empty.parquet</c>, in a 1970 folder), so that a reader's
    /// <c>read_parquet</c> finds a file, and the table's columns, before the first row of the table arrives. Spark,
    /// Trino and pyarrow skip files whose name starts with <c>_</c>; DuckDB reads it as zero rows.</summary>
    private void WriteEmptyFiles()
    {
        foreach (var table in Tables.Select(t => t.Name).Append("verdicts"))
        {
            var hasExperiment = table != "quarantine";
            var target = Path.Combine(_root, new LakeFolder(table, hasExperiment ? "default" : "", DateTime.UnixEpoch).RelativePath, EmptyFileName);
            if (!File.Exists(target))
            {
                WriteFile($"SELECT *{(hasExperiment ? " EXCLUDE (experiment)" : "")} FROM {table} LIMIT 0", target);
            }
        }
    }

    /// <summary>The name of each table's file without rows.</summary>
    public const string EmptyFileName = "_empty.parquet";

    /// <summary>The durable offsets of a lake, recovered from its marker names: for each source partition, the offset
    /// after the newest marker's range (a worker taking over a partition resumes there).</summary>
    public static IReadOnlyDictionary<(string Source, int Partition), long> ReadDurableOffsets(string lakeRoot) =>
        ReadDurableOffsets(lakeRoot, deleteSuperseded: false);

    private static Dictionary<(string Source, int Partition), long> ReadDurableOffsets(string lakeRoot, bool deleteSuperseded)
    {
        var result = new Dictionary<(string, int), long>();
        var folder = Path.Combine(lakeRoot, OffsetsFolder);
        if (!Directory.Exists(folder))
        {
            return result;
        }
        var markers = Directory.EnumerateFiles(folder)
            .Select(p => (Path: p, Ok: LakeFileName.TryParse(Path.GetFileName(p), out var n), Name: n))
            .Where(m => m.Ok)
            .GroupBy(m => (m.Name.Source, m.Name.Partition));
        foreach (var group in markers)
        {
            var newest = group.MaxBy(m => m.Name.To);
            result[group.Key] = newest.Name.To + 1;
            if (deleteSuperseded)
            {
                foreach (var old in group.Where(m => m.Path != newest.Path))
                {
                    File.Delete(old.Path);
                }
            }
        }
        return result;
    }

    /// <summary>Writes every row stored since the last flush to the lake.</summary>
    public LakeFlushResult Flush(DateTimeOffset now)
    {
        var started = Stopwatch.GetTimestamp();
        long rows = 0;
        var files = 0;
        if (_interrupted)
        {
            // A failed flush may have left files of a range without its marker: plan their rewrite as after a crash.
            Recover();
            _interrupted = false;
        }
        if (Shared)
        {
            RefreshDurableOffsets();
        }
        Execute("BEGIN TRANSACTION");
        try
        {
            foreach (var (source, partition, next, updatedAt) in StoredOffsets())
            {
                var key = (source, partition);
                var ranges = new List<(long From, long To, bool Full)>();
                var hasRedo = _redo.Remove(key, out var redo);
                if (hasRedo && redo.To < next)
                {
                    ranges.Add((redo.From, redo.To, true));
                    ranges.Add((redo.To + 1, next - 1, true));
                }
                else
                {
                    if (hasRedo)
                    {
                        DeleteUncommitted(key);
                    }
                    ranges.Add((_durable.GetValueOrDefault(key), next - 1, !_writtenFloor.ContainsKey(key)));
                }
                foreach (var (from, to, full) in ranges.Where(r => r.To >= r.From))
                {
                    var range = new LakeFileName(source, partition, from, to);
                    foreach (var table in Tables)
                    {
                        var floor = full || table.WrittenColumn is null ? null : $" AND {table.WrittenColumn} >= {Literal(_writtenFloor[key] - WrittenSlack)}";
                        var (r, f) = WriteRange(table.Name, table.TimeColumn, range, floor, now);
                        rows += r;
                        files += f;
                    }
                    CommitMarker(range);
                    _durable[key] = to + 1;
                }
                _writtenFloor[key] = updatedAt;
            }
            var (verdictRows, verdictFiles) = FlushVerdicts(now);
            rows += verdictRows;
            files += verdictFiles;
        }
        catch
        {
            _interrupted = true;
            throw;
        }
        finally
        {
            Execute("DROP TABLE IF EXISTS temp._lake_rows");
            Execute("COMMIT");
        }
        return new LakeFlushResult(rows, files, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// In a shared lake, other workers move a partition's durable offset on (after a hand-over): this writer's ranges
    /// start at the lake's durable offset, not at the end of its own last range. Every row below the lake's durable offset
    /// is in the lake (a marker is renamed into place only after its files), and a worker holds every row from there to
    /// its stored offset (it resumed at or below it), so a file named <c>from-to</c> holds every row of that range that
    /// belongs in its folder, whoever wrote it. A range starting at this writer's own stale offset would name rows it does
    /// not hold (the previous owner's), and compaction, trusting the name, would delete the previous owner's file.
    /// </summary>
    private void RefreshDurableOffsets()
    {
        foreach (var (key, next) in ReadDurableOffsets(_root))
        {
            if (next > _durable.GetValueOrDefault(key))
            {
                _durable[key] = next;
            }
        }
    }

    /// <summary>
    /// Verdicts have no source position: their "offsets" are <c>evaluated_at</c> in microseconds since 1970, under the
    /// pseudo-source <see cref="VerdictSource"/> (a Kafka topic cannot contain ':'). A verdict is written once it is
    /// <c>sealAfter</c> old, so that one evaluated earlier but committed later is not passed over.
    /// </summary>
    private (long Rows, int Files) FlushVerdicts(DateTimeOffset now)
    {
        var key = (VerdictSource, 0);
        long? newest;
        using (var cmd = _connection.CreateCommand())
        {
            cmd.CommandText = $"SELECT epoch_us(max(evaluated_at)) FROM verdicts WHERE evaluated_at <= {Literal(now - _sealAfter)}";
            var value = cmd.ExecuteScalar();
            newest = value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
        var ranges = new List<(long From, long To)>();
        var hasRedo = _redo.Remove(key, out var redo);
        if (hasRedo && newest >= redo.To)
        {
            ranges.Add(redo);
            ranges.Add((redo.To + 1, newest.Value));
        }
        else
        {
            if (hasRedo)
            {
                DeleteUncommitted(key);
            }
            if (newest is not null)
            {
                ranges.Add((_durable.GetValueOrDefault(key), newest.Value));
            }
        }
        long rows = 0;
        var files = 0;
        foreach (var (from, to) in ranges.Where(r => r.To >= r.From))
        {
            var range = new LakeFileName(VerdictSource, 0, from, to);
            var (r, f) = WriteRows("verdicts", "evaluated_at", $"epoch_us(evaluated_at) BETWEEN {from} AND {to}", range, now);
            rows += r;
            files += f;
            CommitMarker(range);
            _durable[key] = to + 1;
        }
        return (rows, files);
    }

    private static string OrderOf(string table) => table == "verdicts" ? "evaluated_at" : "source_offset";

    /// <summary>Deletes files of <paramref name="key"/> beyond its durable offset that cannot be rewritten under the
    /// same name (the database no longer holds their whole range).</summary>
    private void DeleteUncommitted((string Source, int Partition) key)
    {
        foreach (var (path, name) in DataFiles().ToList())
        {
            if (name.Source == key.Source && name.Partition == key.Partition && name.From >= _durable.GetValueOrDefault(key))
            {
                File.Delete(path);
            }
        }
    }

    private List<(string Source, int Partition, long Next, DateTimeOffset UpdatedAt)> StoredOffsets()
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT source, source_partition, next_offset, updated_at FROM ingest_offsets ORDER BY 1, 2";
        using var reader = cmd.ExecuteReader();
        var result = new List<(string, int, long, DateTimeOffset)>();
        while (reader.Read())
        {
            result.Add((reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }
        return result;
    }

    private (long Rows, int Files) WriteRange(string table, string timeColumn, LakeFileName range, string? floor, DateTimeOffset now) =>
        WriteRows(table, timeColumn, $"""
            source = {Literal(range.Source)} AND source_partition = {range.Partition}
              AND source_offset BETWEEN {range.From} AND {range.To}{floor}
            """, range, now);

    /// <summary>Writes the rows of <paramref name="table"/> that <paramref name="where"/> selects, one file per
    /// experiment and hour, each named <paramref name="range"/>.</summary>
    private (long Rows, int Files) WriteRows(string table, string timeColumn, string where, LakeFileName range, DateTimeOffset now)
    {
        // The hour (since the Unix epoch, UTC) is worked out once per row, by arithmetic on the stored microseconds:
        // date_trunc('hour', ts AT TIME ZONE 'UTC') went through ICU's calendar for every row, in the grouping and
        // again in every file's filter (README, Benchmarks: "Kafka requests decoded into DuckDB's chunks").
        Execute($"CREATE OR REPLACE TEMP TABLE _lake_rows AS SELECT *, CAST(floor(epoch_us({timeColumn}) / {MicrosPerHour}) AS BIGINT) AS _lake_hour FROM {table} WHERE {where}");
        // quarantine has no experiment (the message could not be decoded): its folders are quarantine/date=/hour=.
        var hasExperiment = table != "quarantine";
        var experimentOf = hasExperiment ? "coalesce(experiment, 'default')" : "''";
        var groups = new List<(string Experiment, long Hour, long Rows)>();
        using (var cmd = _connection.CreateCommand())
        {
            cmd.CommandText = $"SELECT {experimentOf}, _lake_hour, count(*) FROM _lake_rows GROUP BY ALL ORDER BY 1, 2";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                groups.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
            }
        }
        foreach (var (experiment, hour, count) in groups)
        {
            var folder = new LakeFolder(table, experiment, DateTime.UnixEpoch.AddHours(hour));
            var target = Path.Combine(_root, folder.RelativePath, range.ToString());
            WriteFile($"""
                SELECT * EXCLUDE (_lake_hour{(hasExperiment ? ", experiment" : "")}) FROM _lake_rows
                WHERE {experimentOf} = {Literal(experiment)} AND _lake_hour = {hour}
                ORDER BY {OrderOf(table)}
                """, target);
            Track(Path.GetDirectoryName(target)!, now);
        }
        return (groups.Sum(g => g.Rows), groups.Count);
    }

    /// <summary>Compacts the folders of sealed hours (no write for <c>sealAfter</c>, hour ended <c>sealAfter</c> ago):
    /// one file per source partition, named by the union of the ranges it replaces.</summary>
    /// <returns>How many small files were replaced.</returns>
    /// <remarks>In a shared lake one worker compacts at a time (an exclusive lock on <c>&lt;lake&gt;/_compaction.lock</c>;
    /// a worker that finds it taken tries again at its next refresh), the durable offsets are re-read under the lock, and
    /// the files of a group are always read, never dropped on the strength of another file's name.</remarks>
    public int CompactSealedHours(DateTimeOffset now)
    {
        var due = _openFolders.Where(f => now.UtcDateTime >= f.Value.HourEnd + _sealAfter && now - f.Value.LastWrite >= _sealAfter)
            .Select(f => f.Key).ToList();
        if (due.Count == 0)
        {
            return 0;
        }
        using var compactionLock = Shared ? TryLockCompaction() : null;
        if (Shared)
        {
            if (compactionLock is null)
            {
                return 0;
            }
            RefreshDurableOffsets();
        }
        var replaced = 0;
        foreach (var folder in due)
        {
            replaced += CompactFolder(folder);
            _openFolders.Remove(folder);
        }
        return replaced;
    }

    /// <summary>The lock file that lets one worker at a time compact a shared lake.</summary>
    public const string CompactionLockFile = "_compaction.lock";

    /// <summary>An exclusive advisory lock (flock) on the lake's compaction lock file, or null while another worker
    /// holds it. Released when disposed or when the process dies.</summary>
    private FileStream? TryLockCompaction()
    {
        try
        {
            return new FileStream(Path.Combine(_root, CompactionLockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private int CompactFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return 0;
        }
        var replaced = 0;
        var groups = Directory.EnumerateFiles(folder, "*" + LakeFileName.Extension)
            .Select(p => (Path: p, Ok: LakeFileName.TryParse(Path.GetFileName(p), out var n), Name: n))
            .Where(f => f.Ok && f.Name.To < _durable.GetValueOrDefault((f.Name.Source, f.Name.Partition)))
            .GroupBy(f => (f.Name.Source, f.Name.Partition))
            .Where(g => g.Count() > 1);
        foreach (var group in groups)
        {
            var files = group.OrderBy(f => f.Name.From).ToList();
            var union = new LakeFileName(group.Key.Source, group.Key.Partition, files.Min(f => f.Name.From), files.Max(f => f.Name.To));
            var target = Path.Combine(folder, union.ToString());
            // A file whose name covers the union holds every row of it (a crash between the compacted file and the
            // deletes): the others go. In a shared lake the files are read all the same (files written before names were
            // kept to the rows a writer holds may name more than they hold).
            var covering = Shared ? default : files.FirstOrDefault(f => f.Name.Covers(union));
            if (covering.Path is null)
            {
                var list = string.Join(", ", files.Select(f => Literal(f.Path)));
                var table = Path.GetRelativePath(_root, folder).Split(Path.DirectorySeparatorChar)[0];
                WriteFile($"SELECT * FROM read_parquet([{list}], hive_partitioning = false, union_by_name = true) ORDER BY {OrderOf(table)}", target);
                AfterCompactedFileVisible?.Invoke(target);
            }
            foreach (var file in files.Where(f => f.Path != target))
            {
                File.Delete(file.Path);
                replaced++;
            }
        }
        return replaced;
    }

    private void Track(string folder, DateTimeOffset lastWrite)
    {
        var hourEnd = HourEndOf(folder);
        if (hourEnd is null)
        {
            return;
        }
        _openFolders[folder] = _openFolders.TryGetValue(folder, out var known) && known.LastWrite > lastWrite
            ? known
            : (hourEnd.Value, lastWrite);
    }

    private static DateTime? HourEndOf(string folder)
    {
        var hourPart = Path.GetFileName(folder);
        var datePart = Path.GetFileName(Path.GetDirectoryName(folder) ?? "");
        if (!hourPart.StartsWith("hour=", StringComparison.Ordinal) || !datePart.StartsWith("date=", StringComparison.Ordinal)
            || !int.TryParse(hourPart[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            || !DateTime.TryParseExact(datePart[5..], "yyyy-MM-dd", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
        {
            return null;
        }
        return DateTime.SpecifyKind(date, DateTimeKind.Utc).AddHours(h + 1);
    }

    private IEnumerable<(string Path, LakeFileName Name)> DataFiles()
    {
        foreach (var table in Tables.Select(t => t.Name).Append("verdicts"))
        {
            var folder = Path.Combine(_root, table);
            if (!Directory.Exists(folder))
            {
                continue;
            }
            foreach (var path in Directory.EnumerateFiles(folder, "*" + LakeFileName.Extension, SearchOption.AllDirectories))
            {
                if (LakeFileName.TryParse(Path.GetFileName(path), out var name))
                {
                    yield return (path, name);
                }
            }
        }
    }

    private void CommitMarker(LakeFileName range)
    {
        var folder = Path.Combine(_root, OffsetsFolder);
        var temp = Path.Combine(_temp, "." + range.Stem);
        File.WriteAllBytes(temp, []);
        File.Move(temp, Path.Combine(folder, range.Stem), overwrite: true);
        foreach (var path in Directory.EnumerateFiles(folder))
        {
            if (LakeFileName.TryParse(Path.GetFileName(path), out var old)
                && old.Source == range.Source && old.Partition == range.Partition && old.To < range.To)
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>COPY ... TO a temporary file, then rename it over <paramref name="target"/> (atomic on one file system).</summary>
    private void WriteFile(string select, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = Path.Combine(_temp, "." + Guid.NewGuid().ToString("N") + LakeFileName.Extension);
        Execute($"COPY ({select}) TO {Literal(temp)} (FORMAT parquet, COMPRESSION zstd)");
        File.Move(temp, target, overwrite: true);
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    internal static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    internal static string Literal(DateTimeOffset value) =>
        "TIMESTAMPTZ '" + value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00'";
}

/// <summary>What one <see cref="LakeWriter.Flush"/> wrote.</summary>
/// <param name="Rows">Rows written.</param>
/// <param name="Files">Files renamed into place.</param>
/// <param name="Elapsed">How long it took.</param>
public readonly record struct LakeFlushResult(long Rows, int Files, TimeSpan Elapsed);
