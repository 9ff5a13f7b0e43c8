using Medallion.DuckDb;
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace Medallion.DuckDb.Native;

internal static partial class NativeMethods
{
    /// <summary>
    /// Results. https://duckdb.org/docs/stable/clients/c/query and /data_chunk.
    /// A duckdb_result is passed by pointer to the column functions and by value to the chunk functions.
    /// </summary>
    internal static unsafe partial class Query
    {
        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_result")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void DestroyResult(DuckDbResultStruct* result);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_column_name")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbOwnedStringMarshaller))]
        internal static partial string? ColumnName(DuckDbResultStruct* result, ulong column);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_column_logical_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle ColumnLogicalType(DuckDbResultStruct* result, ulong column);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_column_count")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ulong ColumnCount(DuckDbResultStruct* result);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_rows_changed")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ulong RowsChanged(DuckDbResultStruct* result);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_result_error")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbOwnedStringMarshaller))]
        internal static partial string? ResultError(DuckDbResultStruct* result);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_result_error_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbErrorType ResultErrorType(DuckDbResultStruct* result);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_result_return_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbResultType ResultReturnType(DuckDbResultStruct result);

        /// <summary>Returns the next chunk (owned by the caller) or zero when the result is exhausted.</summary>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_fetch_chunk")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr FetchChunk(DuckDbResultStruct result);
    }
}
