using System.Runtime.InteropServices;

namespace LogAnalytics.Storage;

/// <summary>
/// The parts of DuckDB's C API (duckdb.h) that DuckDB.NET does not expose for raw handles: data chunks handed to a
/// table function, and table functions whose callbacks are unmanaged function pointers. Handles are plain pointers
/// here; whoever creates one destroys it.
/// </summary>
internal static unsafe partial class DuckDbNative
{
    private const string Library = "duckdb"; // the library DuckDB.NET loads (DuckDB.NET.Bindings.Full)

    [LibraryImport(Library, EntryPoint = "duckdb_data_chunk_get_vector")]
    public static partial nint DataChunkGetVector(nint chunk, ulong column);

    [LibraryImport(Library, EntryPoint = "duckdb_vector_reference_vector")]
    public static partial void VectorReferenceVector(nint toVector, nint fromVector);

    [LibraryImport(Library, EntryPoint = "duckdb_get_type_id")]
    public static partial int GetTypeId(nint type);

    [LibraryImport(Library, EntryPoint = "duckdb_data_chunk_set_size")]
    public static partial void DataChunkSetSize(nint chunk, ulong size);

    [LibraryImport(Library, EntryPoint = "duckdb_create_table_function")]
    public static partial nint CreateTableFunction();

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_table_function")]
    public static partial void DestroyTableFunction(ref nint function);

    [LibraryImport(Library, EntryPoint = "duckdb_table_function_set_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void TableFunctionSetName(nint function, string name);

    [LibraryImport(Library, EntryPoint = "duckdb_table_function_add_parameter")]
    public static partial void TableFunctionAddParameter(nint function, nint type);

    [LibraryImport(Library, EntryPoint = "duckdb_table_function_set_bind")]
    public static partial void TableFunctionSetBind(nint function, delegate* unmanaged[Cdecl]<nint, void> bind);

    [LibraryImport(Library, EntryPoint = "duckdb_table_function_set_init")]
    public static partial void TableFunctionSetInit(nint function, delegate* unmanaged[Cdecl]<nint, void> init);

    [LibraryImport(Library, EntryPoint = "duckdb_table_function_set_local_init")]
    public static partial void TableFunctionSetLocalInit(nint function, delegate* unmanaged[Cdecl]<nint, void> init);

    [LibraryImport(Library, EntryPoint = "duckdb_table_function_set_function")]
    public static partial void TableFunctionSetFunction(nint function, delegate* unmanaged[Cdecl]<nint, nint, void> scan);

    [LibraryImport(Library, EntryPoint = "duckdb_register_table_function")]
    public static partial int RegisterTableFunction(nint connection, nint function);

    [LibraryImport(Library, EntryPoint = "duckdb_bind_get_parameter")]
    public static partial nint BindGetParameter(nint info, ulong index);

    [LibraryImport(Library, EntryPoint = "duckdb_get_int64")]
    public static partial long GetInt64(nint value);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_value")]
    public static partial void DestroyValue(ref nint value);

    [LibraryImport(Library, EntryPoint = "duckdb_bind_add_result_column", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void BindAddResultColumn(nint info, string name, nint type);

    [LibraryImport(Library, EntryPoint = "duckdb_bind_set_bind_data")]
    public static partial void BindSetBindData(nint info, nint data, delegate* unmanaged[Cdecl]<nint, void> destroy);

    [LibraryImport(Library, EntryPoint = "duckdb_bind_set_error", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void BindSetError(nint info, string error);

    [LibraryImport(Library, EntryPoint = "duckdb_init_get_bind_data")]
    public static partial nint InitGetBindData(nint info);

    [LibraryImport(Library, EntryPoint = "duckdb_init_set_init_data")]
    public static partial void InitSetInitData(nint info, nint data, delegate* unmanaged[Cdecl]<nint, void> destroy);

    [LibraryImport(Library, EntryPoint = "duckdb_init_set_max_threads")]
    public static partial void InitSetMaxThreads(nint info, ulong threads);

    [LibraryImport(Library, EntryPoint = "duckdb_init_set_error", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void InitSetError(nint info, string error);

    [LibraryImport(Library, EntryPoint = "duckdb_function_get_bind_data")]
    public static partial nint FunctionGetBindData(nint info);

    [LibraryImport(Library, EntryPoint = "duckdb_function_get_local_init_data")]
    public static partial nint FunctionGetLocalInitData(nint info);

    [LibraryImport(Library, EntryPoint = "duckdb_function_set_error", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void FunctionSetError(nint info, string error);

    [LibraryImport(Library, EntryPoint = "duckdb_create_logical_type")]
    public static partial nint CreateLogicalType(int typeId);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_logical_type")]
    public static partial void DestroyLogicalType(ref nint type);

    [LibraryImport(Library, EntryPoint = "duckdb_create_data_chunk")]
    public static partial nint CreateDataChunk(nint* types, ulong columnCount);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_data_chunk")]
    public static partial void DestroyDataChunk(ref nint chunk);

    [LibraryImport(Library, EntryPoint = "duckdb_vector_get_data")]
    public static partial void* VectorGetData(nint vector);

    /// <summary>Copies <paramref name="length"/> bytes into a VARCHAR vector's row without checking that they are UTF-8
    /// (<c>duckdb_vector_assign_string_element_len</c> runs DuckDB's UTF-8 analysis over every string): for bytes that
    /// .NET's UTF-8 encoder produced, which are valid by construction.</summary>
    [LibraryImport(Library, EntryPoint = "duckdb_unsafe_vector_assign_string_element_len")]
    public static partial void UnsafeVectorAssignStringElementLength(nint vector, ulong index, byte* bytes, ulong length);
}
