using System.Runtime.CompilerServices;
using System.Text;
using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace LogAnalytics.Storage;

/// <summary>
/// Appends rows to one table through DuckDB's C API, writing each value straight into a data chunk of
/// <c>duckdb_vector_size()</c> rows: fixed-width values through pointers, strings as UTF-8 bytes (those of up to 12
/// bytes inlined into the vector without a native call), NULLs as cleared validity bits. A full chunk is handed to
/// <c>duckdb_append_data_chunk</c>. This replaces DuckDB.NET's <c>CreateRow().AppendValue(...)</c> chain, which
/// allocates a row object, dispatches on every value's type and marshals every string and timestamp through a
/// native call; the rows DuckDB stores are the same.
/// </summary>
/// <remarks>Not thread-safe. The caller writes every column of a row, then calls <see cref="EndRow"/>; a column
/// not written in a row holds whatever the chunk held before, so the column count is checked when opening and the
/// store's write methods set every column.</remarks>
internal sealed unsafe class DuckDbChunkAppender : IDisposable
{
    private const int InlineLength = 12; // DuckDB's string_t keeps strings of up to 12 bytes inside the vector

    private static readonly ulong Capacity = NativeMethods.Helpers.DuckDBVectorSize();
    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    private readonly string _table;
    private readonly DuckDB.NET.Native.DuckDBAppender _appender;
    private readonly DuckDBLogicalType[] _types;
    private readonly DuckDBDataChunk _chunk;
    private readonly nint[] _vectors;
    private readonly nint[] _data;
    private readonly nint[] _validity; // 0 until a NULL is written into the column of the current chunk
    private byte[] _utf8 = new byte[256];
    private ulong _row;
    private bool _closed;

    private DuckDbChunkAppender(string table, DuckDB.NET.Native.DuckDBAppender appender, DuckDBLogicalType[] types, DuckDBDataChunk chunk)
    {
        _table = table;
        _appender = appender;
        _types = types;
        _chunk = chunk;
        _vectors = new nint[types.Length];
        _data = new nint[types.Length];
        _validity = new nint[types.Length];
        LoadVectors();
    }

    /// <summary>Rows appended so far (also those still in the current chunk).</summary>
    public long Rows { get; private set; }

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
                throw new InvalidOperationException(
                    $"Table {table} has {count} columns but the store writes {columns.Count}: the database's schema does not match this version of LogAnalytics (check sql/migrations).");
            }
            for (var i = 0; i < count; i++)
            {
                var type = NativeMethods.Appender.DuckDBAppenderColumnType(appender, (ulong)i);
                types.Add(type);
                var id = NativeMethods.LogicalType.DuckDBGetTypeId(type);
                if (id != columns[i])
                {
                    throw new InvalidOperationException(
                        $"Column {i + 1} of table {table} is {id} but the store writes {columns[i]}: the database's schema does not match this version of LogAnalytics (check sql/migrations).");
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

    /// <summary>Writes NULL into <paramref name="column"/> of the current row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Null(int column)
    {
        var validity = (ulong*)_validity[column];
        if (validity == null)
        {
            NativeMethods.Vectors.DuckDBVectorEnsureValidityWritable(_vectors[column]);
            validity = NativeMethods.Vectors.DuckDBVectorGetValidity(_vectors[column]);
            _validity[column] = (nint)validity;
        }
        validity[_row >> 6] &= ~(1UL << (int)(_row & 63));
    }

    /// <summary>Writes an INTEGER.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Int32(int column, int value) => ((int*)_data[column])[_row] = value;

    /// <summary>Writes an INTEGER or NULL.</summary>
    public void Int32(int column, int? value)
    {
        if (value is { } v)
        {
            Int32(column, v);
        }
        else
        {
            Null(column);
        }
    }

    /// <summary>Writes a BIGINT.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Int64(int column, long value) => ((long*)_data[column])[_row] = value;

    /// <summary>Writes a BIGINT or NULL.</summary>
    public void Int64(int column, long? value)
    {
        if (value is { } v)
        {
            Int64(column, v);
        }
        else
        {
            Null(column);
        }
    }

    /// <summary>Writes a DOUBLE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Double(int column, double value) => ((double*)_data[column])[_row] = value;

    /// <summary>Writes a DOUBLE or NULL.</summary>
    public void Double(int column, double? value)
    {
        if (value is { } v)
        {
            Double(column, v);
        }
        else
        {
            Null(column);
        }
    }

    /// <summary>Writes a BOOLEAN or NULL.</summary>
    public void Boolean(int column, bool? value)
    {
        if (value is { } v)
        {
            ((byte*)_data[column])[_row] = v ? (byte)1 : (byte)0;
        }
        else
        {
            Null(column);
        }
    }

    /// <summary>Writes a TIMESTAMPTZ: microseconds since the Unix epoch in UTC, sub-microsecond ticks dropped (as
    /// DuckDB.NET's appender does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void TimestampTzValue(int column, DateTimeOffset value) =>
        ((long*)_data[column])[_row] = MicrosSinceEpoch(value);

    /// <summary>Microseconds since the Unix epoch (UTC), rounded down.</summary>
    internal static long MicrosSinceEpoch(DateTimeOffset value) => Math.DivRem(value.UtcTicks - UnixEpochTicks, TimeSpan.TicksPerMicrosecond) switch
    {
        (var q, < 0) => q - 1,
        (var q, _) => q,
    };

    /// <summary>Writes a VARCHAR (or JSON) as UTF-8, or NULL.</summary>
    public void String(int column, string? value)
    {
        if (value is null)
        {
            Null(column);
            return;
        }
        var slot = (byte*)_data[column] + (_row * 16);
        if (value.Length <= InlineLength)
        {
            // Inline: length, then up to 12 bytes, the rest zero (DuckDB compares inlined strings as 16 bytes).
            ((ulong*)slot)[0] = 0;
            ((ulong*)slot)[1] = 0;
            if (Encoding.UTF8.TryGetBytes(value, new Span<byte>(slot + 4, InlineLength), out var written))
            {
                *(uint*)slot = (uint)written;
                return;
            }
        }
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < max)
        {
            _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        }
        var length = Encoding.UTF8.GetBytes(value, _utf8);
        fixed (byte* bytes = _utf8)
        {
            NativeMethods.Vectors.DuckDBVectorAssignStringElementLength(_vectors[column], _row, bytes, length);
        }
    }

    /// <summary>Writes a BLOB, or NULL.</summary>
    public void Blob(int column, byte[]? value)
    {
        if (value is null)
        {
            Null(column);
            return;
        }
        fixed (byte* bytes = value)
        {
            NativeMethods.Vectors.DuckDBVectorAssignStringElementLength(_vectors[column], _row, bytes, value.Length);
        }
    }

    /// <summary>Ends the current row; hands the chunk to DuckDB when it is full.</summary>
    public void EndRow()
    {
        _row++;
        Rows++;
        if (_row == Capacity)
        {
            AppendChunk();
        }
    }

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

    private void AppendChunk()
    {
        if (_row == 0)
        {
            return;
        }
        NativeMethods.DataChunks.DuckDBDataChunkSetSize(_chunk, _row);
        var state = NativeMethods.Appender.DuckDBAppendDataChunk(_appender, _chunk);
        NativeMethods.DataChunks.DuckDBDataChunkReset(_chunk);
        _row = 0;
        LoadVectors();
        if (state != DuckDBState.Success)
        {
            throw Failure("appending a chunk");
        }
    }

    private void LoadVectors()
    {
        for (var i = 0; i < _types.Length; i++)
        {
            _vectors[i] = NativeMethods.DataChunks.DuckDBDataChunkGetVector(_chunk, i);
            _data[i] = (nint)NativeMethods.Vectors.DuckDBVectorGetData(_vectors[i]);
            _validity[i] = 0;
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
