using System.Runtime.CompilerServices;
using System.Text;
using DuckDB.NET.Native;

namespace LogAnalytics.Storage;

/// <summary>
/// Writes rows into one of DuckDB's data chunks of <c>duckdb_vector_size()</c> rows: fixed-width values through
/// pointers, strings as UTF-8 bytes (those of up to 12 bytes inlined into the vector without a native call; the same
/// string object as in a row above is copied from that row), NULLs as
/// cleared validity bits. <see cref="DuckDbChunkAppender"/> hands full chunks to an appender; a
/// <see cref="DuckDbRowSource"/> fills the chunks DuckDB's own threads ask a table function for.
/// </summary>
/// <remarks>Not thread-safe. The caller writes every column of a row, then calls <see cref="EndRow"/>; a column not
/// written in a row holds whatever the chunk held before.</remarks>
internal unsafe class DuckDbChunkWriter
{
    private const int InlineLength = 12; // DuckDB's string_t keeps strings of up to 12 bytes inside the vector

    /// <summary>Rows in one chunk: <c>duckdb_vector_size()</c>.</summary>
    public static readonly ulong Capacity = NativeMethods.Helpers.DuckDBVectorSize();

    private static readonly long UnixEpochTicks = DateTime.UnixEpoch.Ticks;

    private readonly nint[] _vectors;
    private readonly nint[] _data;
    private readonly nint[] _validity; // 0 until a NULL is written into the column of the current chunk
    private readonly string?[] _lastString; // per column, the string last written into the current chunk...
    private readonly ulong[] _lastStringRow; // ...and its row
    private byte[] _utf8 = new byte[256];
    private ulong _row;

    /// <summary>A writer for chunks of <paramref name="columns"/> columns; <see cref="Load"/> points it at one.</summary>
    public DuckDbChunkWriter(int columns)
    {
        _vectors = new nint[columns];
        _data = new nint[columns];
        _validity = new nint[columns];
        _lastString = new string?[columns];
        _lastStringRow = new ulong[columns];
    }

    /// <summary>Rows ended so far, in all chunks.</summary>
    public long Rows { get; private set; }

    /// <summary>Rows in the current chunk.</summary>
    public ulong RowsInChunk => _row;

    /// <summary>Whether the current chunk has no room for another row.</summary>
    public bool IsFull => _row == Capacity;

    /// <summary>Points the writer at <paramref name="chunk"/> (a <c>duckdb_data_chunk</c> with the writer's columns),
    /// from its first row.</summary>
    public void Load(nint chunk)
    {
        for (var i = 0; i < _vectors.Length; i++)
        {
            _vectors[i] = DuckDbNative.DataChunkGetVector(chunk, (ulong)i);
            _data[i] = (nint)NativeMethods.Vectors.DuckDBVectorGetData(_vectors[i]);
            _validity[i] = 0;
            _lastString[i] = null;
        }
        _row = 0;
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
    public void Int32(int column, int value) => Fixed(column, value);

    /// <summary>Writes an INTEGER or NULL.</summary>
    public void Int32(int column, int? value) => Fixed(column, value);

    /// <summary>Writes a BIGINT.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Int64(int column, long value) => Fixed(column, value);

    /// <summary>Writes a BIGINT or NULL.</summary>
    public void Int64(int column, long? value) => Fixed(column, value);

    /// <summary>Writes a DOUBLE.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Double(int column, double value) => Fixed(column, value);

    /// <summary>Writes a DOUBLE or NULL.</summary>
    public void Double(int column, double? value) => Fixed(column, value);

    /// <summary>Writes a fixed-width value whose layout in the vector is the .NET type's (INTEGER, BIGINT, DOUBLE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Fixed<T>(int column, T value) where T : unmanaged => ((T*)_data[column])[_row] = value;

    /// <summary>Writes a fixed-width value, or NULL.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Fixed<T>(int column, T? value) where T : unmanaged
    {
        if (value is { } v)
        {
            Fixed(column, v);
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
        if (ReferenceEquals(value, _lastString[column]))
        {
            // The same string as a row above (the replay's source, a shared experiment, attributes or model name):
            // its 16-byte string_t is copied, pointing at the bytes already in this vector's string heap, instead of
            // encoding the string again and asking DuckDB to copy it once more.
            var above = (ulong*)((byte*)_data[column] + (_lastStringRow[column] * 16));
            ((ulong*)slot)[0] = above[0];
            ((ulong*)slot)[1] = above[1];
            return;
        }
        _lastString[column] = value;
        _lastStringRow[column] = _row;
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
        // .NET's encoder writes valid UTF-8 (a lone surrogate becomes U+FFFD), so DuckDB need not check it again.
        var length = Encoding.UTF8.GetBytes(value, _utf8);
        fixed (byte* bytes = _utf8)
        {
            DuckDbNative.UnsafeVectorAssignStringElementLength(_vectors[column], _row, bytes, (ulong)length);
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

    /// <summary>Ends the current row; <see cref="ChunkFull"/> runs when the chunk has no more room.</summary>
    public void EndRow()
    {
        _row++;
        Rows++;
        if (_row == Capacity)
        {
            ChunkFull();
        }
    }

    /// <summary>Called when a row fills the chunk; the default leaves it to the caller (<see cref="IsFull"/>).</summary>
    protected virtual void ChunkFull()
    {
    }
}
