using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace LogAnalytics.Storage;

/// <summary>
/// Appends rows to one table through DuckDB's C API, writing each value straight into a data chunk
/// (<see cref="DuckDbChunkWriter"/>); a full chunk is handed to <c>duckdb_append_data_chunk</c>. This replaces DuckDB.NET's <c>CreateRow().AppendValue(...)</c> chain, which
/// allocates a row object, dispatches on every value's type and marshals every string and timestamp through a
/// native call; the rows DuckDB stores are the same.
/// </summary>
/// <remarks>Not thread-safe. The caller writes every column of a row, then calls <see cref="DuckDbChunkWriter.EndRow"/>; a column
/// not written in a row holds whatever the chunk held before, so the column count is checked when opening and the
/// store's write methods set every column.</remarks>
internal sealed class DuckDbChunkAppender : DuckDbChunkWriter, IDisposable
{
    private readonly string _table;
    private readonly DuckDB.NET.Native.DuckDBAppender _appender;
    private readonly DuckDBLogicalType[] _types;
    private readonly DuckDBDataChunk _chunk;
    private bool _closed;

    private DuckDbChunkAppender(string table, DuckDB.NET.Native.DuckDBAppender appender, DuckDBLogicalType[] types, DuckDBDataChunk chunk)
        : base(types.Length)
    {
        _table = table;
        _appender = appender;
        _types = types;
        _chunk = chunk;
        Load(chunk.DangerousGetHandle());
    }

    /// <summary>Opens an appender on <paramref name="table"/> and checks that its columns have the types the caller
    /// will write, in order (a schema that does not match the code fails here, before any row is written).</summary>
    /// <param name="connection">An open connection; rows join its current transaction.</param>
    /// <param name="table">The table.</param>
    /// <param name="columns">The expected DuckDB type of every column (VARCHAR for JSON columns).</param>
    /// <param name="catalog">The database the table is in (e.g. an attached one); <see langword="null"/> for the
    /// default.</param>
    public static DuckDbChunkAppender Open(DuckDBConnection connection, string table, IReadOnlyList<DuckDBType> columns, string? catalog = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(columns);
        if (NativeMethods.Appender.DuckDBAppenderCreateExt(connection.NativeConnection, catalog, null, table, out var appender) != DuckDBState.Success)
        {
            var message = ErrorMessage(appender);
            appender.Dispose();
            throw new InvalidOperationException($"Cannot append to table {table}: {message}");
        }
        var types = new List<DuckDBLogicalType>();
        try
        {
            var count = (int)NativeMethods.Appender.DuckDBAppenderColumnCount(appender);
            if (count != columns.Count)
            {
                throw SchemaMismatch($"Table {table} has {count} columns but the store writes {columns.Count}");
            }
            for (var i = 0; i < count; i++)
            {
                var type = NativeMethods.Appender.DuckDBAppenderColumnType(appender, (ulong)i);
                types.Add(type);
                var id = NativeMethods.LogicalType.DuckDBGetTypeId(type);
                if (id != columns[i])
                {
                    throw SchemaMismatch($"Column {i + 1} of table {table} is {id} but the store writes {columns[i]}");
                }
            }
            var handles = types.Select(t => t.DangerousGetHandle()).ToArray();
            var chunk = NativeMethods.DataChunks.DuckDBCreateDataChunk(handles, (ulong)handles.Length);
            return new DuckDbChunkAppender(table, appender, [.. types], chunk);
        }
        catch
        {
            foreach (var type in types)
            {
                type.Dispose();
            }
            appender.Dispose();
            throw;
        }
    }

    /// <summary>The error for a table whose columns are not those this version writes (<paramref name="what"/> says
    /// which).</summary>
    internal static InvalidOperationException SchemaMismatch(string what) =>
        new($"{what}: the database's schema does not match this version of LogAnalytics (check sql/migrations).");

    /// <summary>Hands the rows still in the chunk to DuckDB and closes the appender, which adds everything appended
    /// to the table in the connection's transaction. Constraint violations surface here.</summary>
    public void Close()
    {
        if (_closed)
        {
            return;
        }
        _closed = true;
        AppendChunk();
        if (NativeMethods.Appender.DuckDBAppenderClose(_appender) != DuckDBState.Success)
        {
            throw Failure("closing the appender");
        }
    }

    /// <inheritdoc />
    protected override void ChunkFull() => AppendChunk();

    private void AppendChunk()
    {
        if (RowsInChunk == 0)
        {
            return;
        }
        NativeMethods.DataChunks.DuckDBDataChunkSetSize(_chunk, RowsInChunk);
        var state = NativeMethods.Appender.DuckDBAppendDataChunk(_appender, _chunk);
        NativeMethods.DataChunks.DuckDBDataChunkReset(_chunk);
        Load(_chunk.DangerousGetHandle());
        if (state != DuckDBState.Success)
        {
            throw Failure("appending a chunk");
        }
    }

    private InvalidOperationException Failure(string what) =>
        new($"DuckDB failed {what} for table {_table}: {ErrorMessage(_appender)}");

    private static string ErrorMessage(DuckDB.NET.Native.DuckDBAppender appender)
    {
        using var error = NativeMethods.Appender.DuckDBAppenderErrorData(appender);
        return NativeMethods.ErrorData.DuckDBErrorDataMessage(error);
    }

    /// <summary>Releases the chunk, the column types and the appender; rows not yet closed are discarded (the
    /// transaction they would have joined is rolled back by the caller).</summary>
    public void Dispose()
    {
        _chunk.Dispose();
        foreach (var type in _types)
        {
            type.Dispose();
        }
        _appender.Dispose();
    }
}
