using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace Medallion.DuckDb.Native;

internal static partial class NativeMethods
{
    /// <summary>The Appender. https://duckdb.org/docs/stable/clients/c/appender</summary>
    internal static partial class Appender
    {
        [LibraryImport(LibraryName, EntryPoint = "duckdb_appender_create_ext", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState CreateExt(DuckDbConnectionHandle connection, string? catalog, string? schema, string table, out DuckDbAppenderHandle appender);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_appender_column_count")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ulong ColumnCount(DuckDbAppenderHandle appender);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_appender_column_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle ColumnType(DuckDbAppenderHandle appender, ulong column);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_appender_error")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbOwnedStringMarshaller))]
        internal static partial string? Error(DuckDbAppenderHandle appender);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_appender_close")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState Close(DuckDbAppenderHandle appender);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_appender_destroy")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState Destroy(ref IntPtr appender);

        /// <summary>Appends a whole chunk; DuckDB copies the data, the caller keeps and may reuse the chunk.</summary>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_append_data_chunk")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState AppendDataChunk(DuckDbAppenderHandle appender, IntPtr chunk);
    }
}
