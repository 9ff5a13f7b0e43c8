using Medallion.DuckDb;
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace Medallion.DuckDb.Native;

internal static partial class NativeMethods
{
    /// <summary>
    /// Prepared statements, parameter binding, statement extraction and pending (incremental) execution.
    /// https://duckdb.org/docs/stable/clients/c/prepared
    /// </summary>
    internal static unsafe partial class Prepared
    {
        [LibraryImport(LibraryName, EntryPoint = "duckdb_prepare", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState Prepare(DuckDbConnectionHandle connection, string query, out DuckDbPreparedStatementHandle statement);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_prepare")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void DestroyPrepare(ref IntPtr statement);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_prepare_error")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbOwnedStringMarshaller))]
        internal static partial string? PrepareError(DuckDbPreparedStatementHandle statement);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_prepared_statement_column_logical_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle ColumnLogicalType(DuckDbPreparedStatementHandle statement, ulong column);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_nparams")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ulong ParameterCount(DuckDbPreparedStatementHandle statement);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_parameter_name")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbCallerFreesStringMarshaller))]
        internal static partial string? ParameterName(DuckDbPreparedStatementHandle statement, ulong index);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_prepared_statement_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbStatementType StatementType(DuckDbPreparedStatementHandle statement);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_clear_bindings")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState ClearBindings(DuckDbPreparedStatementHandle statement);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_boolean")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindBoolean(DuckDbPreparedStatementHandle statement, ulong index, [MarshalAs(UnmanagedType.U1)] bool value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_int8")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindInt8(DuckDbPreparedStatementHandle statement, ulong index, sbyte value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_int16")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindInt16(DuckDbPreparedStatementHandle statement, ulong index, short value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_int32")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindInt32(DuckDbPreparedStatementHandle statement, ulong index, int value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_int64")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindInt64(DuckDbPreparedStatementHandle statement, ulong index, long value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_hugeint")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindHugeInt(DuckDbPreparedStatementHandle statement, ulong index, DuckDbHugeIntStruct value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_uhugeint")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindUHugeInt(DuckDbPreparedStatementHandle statement, ulong index, DuckDbUHugeIntStruct value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_decimal")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindDecimal(DuckDbPreparedStatementHandle statement, ulong index, DuckDbDecimalStruct value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_uint8")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindUInt8(DuckDbPreparedStatementHandle statement, ulong index, byte value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_uint16")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindUInt16(DuckDbPreparedStatementHandle statement, ulong index, ushort value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_uint32")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindUInt32(DuckDbPreparedStatementHandle statement, ulong index, uint value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_uint64")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindUInt64(DuckDbPreparedStatementHandle statement, ulong index, ulong value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_float")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindFloat(DuckDbPreparedStatementHandle statement, ulong index, float value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_double")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindDouble(DuckDbPreparedStatementHandle statement, ulong index, double value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_date")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindDate(DuckDbPreparedStatementHandle statement, ulong index, int daysSinceEpoch);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_time")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindTime(DuckDbPreparedStatementHandle statement, ulong index, long microsSinceMidnight);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_timestamp")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindTimestamp(DuckDbPreparedStatementHandle statement, ulong index, long microsSinceEpoch);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_timestamp_tz")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindTimestampTz(DuckDbPreparedStatementHandle statement, ulong index, long microsSinceEpoch);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_interval")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindInterval(DuckDbPreparedStatementHandle statement, ulong index, DuckDbIntervalStruct value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_varchar_length")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindVarcharLength(DuckDbPreparedStatementHandle statement, ulong index, byte* utf8, ulong length);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_blob")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindBlob(DuckDbPreparedStatementHandle statement, ulong index, byte* data, ulong length);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_null")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindNull(DuckDbPreparedStatementHandle statement, ulong index);

        /// <summary>Binds a value object; DuckDB copies it, so the caller still destroys <paramref name="value"/>.</summary>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_value")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState BindValue(DuckDbPreparedStatementHandle statement, ulong index, IntPtr value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_create_uuid")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr CreateUuid(DuckDbUHugeIntStruct value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_value")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void DestroyValue(ref IntPtr value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_execute_prepared")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState ExecutePrepared(DuckDbPreparedStatementHandle statement, DuckDbResultStruct* result);

        /// <summary>
        /// Deprecated in the header but the only C entry point that yields a streaming result from a
        /// prepared statement: chunks are produced as they are fetched, so memory stays bounded.
        /// </summary>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_execute_prepared_streaming")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState ExecutePreparedStreaming(DuckDbPreparedStatementHandle statement, DuckDbResultStruct* result);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_extract_statements", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ulong ExtractStatements(DuckDbConnectionHandle connection, string query, out DuckDbExtractedStatementsHandle extracted);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_prepare_extracted_statement")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState PrepareExtractedStatement(DuckDbConnectionHandle connection, DuckDbExtractedStatementsHandle extracted, ulong index, out DuckDbPreparedStatementHandle statement);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_extract_statements_error")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbOwnedStringMarshaller))]
        internal static partial string? ExtractStatementsError(DuckDbExtractedStatementsHandle extracted);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_extracted")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void DestroyExtracted(ref IntPtr extracted);
    }
}
