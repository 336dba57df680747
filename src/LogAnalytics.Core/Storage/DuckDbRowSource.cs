using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DuckDB.NET.Data;
using DuckDB.NET.Native;

namespace LogAnalytics.Storage;

/// <summary>Rows produced on DuckDB's own threads for
/// <see cref="DuckDbRowSource.InsertInto(DuckDBConnection, string, IDuckDbRowProducer, int)"/>.</summary>
internal interface IDuckDbRowProducer
{
    /// <summary>State of one of DuckDB's threads scanning the producer (called once per thread).</summary>
    object CreateThreadState();

    /// <summary>Fills <paramref name="writer"/> (pointed at an empty chunk) until it is full or the producer has
    /// nothing more for this thread; returning with no row written ends this thread's scan. May block waiting for
    /// input. An exception fails the statement, and
    /// <see cref="DuckDbRowSource.InsertInto(DuckDBConnection, string, IDuckDbRowProducer, int)"/> rethrows it.</summary>
    void Fill(object threadState, DuckDbChunkWriter writer);
}

/// <summary>Rows already written into DuckDB data chunks ahead of
/// <see cref="DuckDbRowSource.InsertInto(DuckDBConnection, string, IDuckDbChunkSource, int)"/>: the scan hands DuckDB
/// each chunk's vectors by reference instead of copying its rows.</summary>
internal interface IDuckDbChunkSource
{
    /// <summary>The DuckDB type of every column the chunks hold, in order (checked against the table's).</summary>
    IReadOnlyList<DuckDBType> Columns { get; }

    /// <summary>Points <paramref name="output"/>'s vectors at the next chunk's (<c>duckdb_vector_reference_vector</c>,
    /// which shares their buffers) and returns its rows; 0 when there is none left. Called on DuckDB's threads,
    /// possibly several at once. The chunks must stay unchanged until the insert returns.</summary>
    ulong Next(nint output);
}

/// <summary>
/// Stores rows that managed code produces through DuckDB's own parallel <c>INSERT ... SELECT</c>: a table function
/// (<c>loganalytics_rows</c>, registered through the C API) whose scan runs on up to N of DuckDB's threads, each
/// filling the chunks DuckDB asks for with <see cref="IDuckDbRowProducer.Fill"/>. Unlike an appender, whose one thread
/// does all of DuckDB's storage work (statistics, dictionary and FSST analysis, compression), the insert compresses
/// row groups on every thread, as <c>read_json</c> does (README, Benchmarks: "Replay through DuckDB's own parallel
/// insert"). Replay fills the chunks on DuckDB's threads (<see cref="IDuckDbRowProducer"/>); the Kafka writer's
/// requests are in DuckDB's chunks already, and the scan hands their vectors over by reference
/// (<see cref="IDuckDbChunkSource"/>).
/// </summary>
internal static unsafe class DuckDbRowSource
{
    /// <summary>The table function's name.</summary>
    public const string FunctionName = "loganalytics_rows";

    private static readonly ConcurrentDictionary<long, Scan> Scans = new();
    private static readonly ConditionalWeakTable<DuckDBConnection, object> Registered = new();
    private static long _nextId;

    /// <summary>Registers the table function on <paramref name="connection"/> if it is not yet. Call it outside a
    /// transaction: a registration inside one that rolls back would be rolled back with it.</summary>
    public static void EnsureRegistered(DuckDBConnection connection)
    {
        if (Registered.TryGetValue(connection, out _))
        {
            return;
        }
        var function = DuckDbNative.CreateTableFunction();
        try
        {
            DuckDbNative.TableFunctionSetName(function, FunctionName);
            var bigint = DuckDbNative.CreateLogicalType((int)DuckDBType.BigInt);
            DuckDbNative.TableFunctionAddParameter(function, bigint);
            DuckDbNative.DestroyLogicalType(ref bigint);
            DuckDbNative.TableFunctionSetBind(function, &Bind);
            DuckDbNative.TableFunctionSetInit(function, &Init);
            DuckDbNative.TableFunctionSetLocalInit(function, &LocalInit);
            DuckDbNative.TableFunctionSetFunction(function, &Produce);
            if (DuckDbNative.RegisterTableFunction(connection.NativeConnection.DangerousGetHandle(), function) != 0)
            {
                throw new InvalidOperationException($"DuckDB refused to register the table function {FunctionName}.");
            }
        }
        finally
        {
            DuckDbNative.DestroyTableFunction(ref function);
        }
        Registered.AddOrUpdate(connection, new object());
    }

    /// <summary>Runs <c>INSERT INTO <paramref name="table"/> SELECT * FROM loganalytics_rows(...)</c> in the
    /// connection's current transaction, with rows from <paramref name="producer"/> on up to
    /// <paramref name="threads"/> of DuckDB's threads. The insert runs on one thread unless DuckDB's
    /// <c>preserve_insertion_order</c> is off (<see cref="InsertionOrder"/>); rows then land in the table in no
    /// particular order.</summary>
    /// <returns>The rows inserted.</returns>
    public static long InsertInto(DuckDBConnection connection, string table, IDuckDbRowProducer producer, int threads) =>
        Insert(connection, table, producer, threads);

    /// <summary>Runs <c>INSERT INTO <paramref name="table"/> SELECT * FROM loganalytics_rows(...)</c> in the
    /// connection's current transaction with the rows of <paramref name="chunks"/>, which DuckDB takes by reference
    /// (no copy: an appender would copy every row, strings included, into a collection of its own first). The
    /// table function must be registered before the transaction began (<see cref="EnsureRegistered"/>).</summary>
    /// <returns>The rows inserted.</returns>
    /// <exception cref="InvalidOperationException">The table's columns are not <see cref="IDuckDbChunkSource.Columns"/>
    /// (a database whose schema does not match this version), or DuckDB refused the rows.</exception>
    public static long InsertInto(DuckDBConnection connection, string table, IDuckDbChunkSource chunks, int threads) =>
        Insert(connection, table, chunks, threads);

    private static long Insert(DuckDBConnection connection, string table, object producer, int threads)
    {
        EnsureRegistered(connection);
        var types = ColumnTypes(connection, table);
        if (producer is IDuckDbChunkSource chunks)
        {
            CheckColumns(table, types, chunks.Columns);
        }
        var id = Interlocked.Increment(ref _nextId);
        var scan = new Scan(producer, types, Math.Max(1, threads));
        Scans[id] = scan;
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"INSERT INTO {table} SELECT * FROM {FunctionName}({id.ToString(CultureInfo.InvariantCulture)})";
            try
            {
                return command.ExecuteNonQuery();
            }
            catch (Exception ex) when (scan.Error is not null)
            {
                // The producer's own exception (e.g. cancellation) says more than DuckDB's message wrapping it.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(scan.Error).Throw();
                throw new InvalidOperationException("unreachable", ex);
            }
        }
        finally
        {
            Scans.TryRemove(id, out _);
            for (var i = 0; i < types.Length; i++)
            {
                DuckDbNative.DestroyLogicalType(ref types[i]);
            }
        }
    }

    /// <summary>Turns DuckDB's <c>preserve_insertion_order</c> off (a setting of the whole database) until the
    /// result is disposed, which restores it. Call it outside a transaction.</summary>
    public static IDisposable InsertionOrder(DuckDBConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('preserve_insertion_order')";
        var preserve = Convert.ToBoolean(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (!preserve)
        {
            return new Restore(null);
        }
        command.CommandText = "SET preserve_insertion_order = false";
        command.ExecuteNonQuery();
        return new Restore(connection);
    }

    private sealed class Restore(DuckDBConnection? connection) : IDisposable
    {
        public void Dispose()
        {
            if (connection is not null)
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SET preserve_insertion_order = true";
                command.ExecuteNonQuery();
            }
        }
    }

    /// <summary>The table's column types exactly (JSON included, so that the insert casts nothing), read from an
    /// appender on it.</summary>
    private static nint[] ColumnTypes(DuckDBConnection connection, string table)
    {
        if (NativeMethods.Appender.DuckDBAppenderCreateExt(connection.NativeConnection, null, null, table, out var appender) != DuckDBState.Success)
        {
            appender.Dispose();
            throw new InvalidOperationException($"Cannot read the columns of table {table}.");
        }
        using (appender)
        {
            var count = (int)NativeMethods.Appender.DuckDBAppenderColumnCount(appender);
            var types = new nint[count];
            for (var i = 0; i < count; i++)
            {
                var type = NativeMethods.Appender.DuckDBAppenderColumnType(appender, (ulong)i);
                // Keep the native handle beyond the SafeHandle: it is destroyed in InsertInto.
                types[i] = type.DangerousGetHandle();
                type.SetHandleAsInvalid();
            }
            return types;
        }
    }

    private static void CheckColumns(string table, nint[] types, IReadOnlyList<DuckDBType> expected)
    {
        var ids = types.Select(t => (DuckDBType)DuckDbNative.GetTypeId(t)).ToList();
        var mismatch = ids.Count != expected.Count
            ? $"Table {table} has {ids.Count} columns but the store writes {expected.Count}"
            : ids.Select((id, i) => id == expected[i] ? null : $"Column {i + 1} of table {table} is {id} but the store writes {expected[i]}")
                .FirstOrDefault(m => m is not null);
        if (mismatch is not null)
        {
            foreach (var type in types)
            {
                var t = type;
                DuckDbNative.DestroyLogicalType(ref t);
            }
            throw DuckDbChunkAppender.SchemaMismatch(mismatch);
        }
    }

    private sealed class Scan(object producer, nint[] types, int threads)
    {
        /// <summary>An <see cref="IDuckDbRowProducer"/> or an <see cref="IDuckDbChunkSource"/>.</summary>
        public object Producer { get; } = producer;

        public nint[] Types { get; } = types;

        public int Threads { get; } = threads;

        private Exception? _error;

        /// <summary>The first exception of any of the threads.</summary>
        public Exception? Error => Volatile.Read(ref _error);

        public void Fail(Exception error) => Interlocked.CompareExchange(ref _error, error, null);
    }

    private sealed class ThreadState(Scan scan, object? state)
    {
        public Scan Scan { get; } = scan;

        public object? State { get; } = state;

        public DuckDbChunkWriter? Writer { get; } = scan.Producer is IDuckDbRowProducer ? new(scan.Types.Length) : null;
    }

    private static Scan Find(nint bindData) =>
        Scans.TryGetValue(bindData, out var scan) ? scan : throw new InvalidOperationException($"{FunctionName} is only for LogAnalytics' own inserts.");

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Bind(nint info)
    {
        try
        {
            var parameter = DuckDbNative.BindGetParameter(info, 0);
            var id = DuckDbNative.GetInt64(parameter);
            DuckDbNative.DestroyValue(ref parameter);
            var scan = Find((nint)id);
            for (var i = 0; i < scan.Types.Length; i++)
            {
                DuckDbNative.BindAddResultColumn(info, "c" + i.ToString(CultureInfo.InvariantCulture), scan.Types[i]);
            }
            DuckDbNative.BindSetBindData(info, (nint)id, null);
        }
        catch (Exception ex)
        {
            DuckDbNative.BindSetError(info, ex.Message);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Init(nint info)
    {
        try
        {
            DuckDbNative.InitSetMaxThreads(info, (ulong)Find(DuckDbNative.InitGetBindData(info)).Threads);
        }
        catch (Exception ex)
        {
            DuckDbNative.InitSetError(info, ex.Message);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void LocalInit(nint info)
    {
        try
        {
            var scan = Find(DuckDbNative.InitGetBindData(info));
            var state = new ThreadState(scan, scan.Producer is IDuckDbRowProducer rows ? rows.CreateThreadState() : null);
            DuckDbNative.InitSetInitData(info, GCHandle.ToIntPtr(GCHandle.Alloc(state)), &FreeHandle);
        }
        catch (Exception ex)
        {
            DuckDbNative.InitSetError(info, ex.Message);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Produce(nint info, nint output)
    {
        ThreadState? state = null;
        try
        {
            state = (ThreadState)GCHandle.FromIntPtr(DuckDbNative.FunctionGetLocalInitData(info)).Target!;
            if (state.Scan.Producer is IDuckDbChunkSource chunks)
            {
                DuckDbNative.DataChunkSetSize(output, chunks.Next(output));
                return;
            }
            state.Writer!.Load(output);
            ((IDuckDbRowProducer)state.Scan.Producer).Fill(state.State!, state.Writer);
            DuckDbNative.DataChunkSetSize(output, state.Writer.RowsInChunk);
        }
        catch (Exception ex)
        {
            state?.Scan.Fail(ex);
            DuckDbNative.DataChunkSetSize(output, 0);
            DuckDbNative.FunctionSetError(info, ex.Message);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void FreeHandle(nint handle) => GCHandle.FromIntPtr(handle).Free();
}
