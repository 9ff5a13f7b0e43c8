using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace Medallion.DuckDb.Native;

internal static partial class NativeMethods
{
    /// <summary>Table descriptions: a table's columns by name. https://duckdb.org/docs/stable/clients/c/table_description</summary>
    internal static partial class TableDescription
    {
        /// <summary>The description must be destroyed even when this fails (its error text lives in it).</summary>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_table_description_create_ext", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState CreateExt(DuckDbConnectionHandle connection, string? catalog, string? schema, string table, out DuckDbTableDescriptionHandle description);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_table_description_destroy")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void Destroy(ref IntPtr description);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_table_description_get_column_name")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbCallerFreesStringMarshaller))]
        internal static partial string? ColumnName(DuckDbTableDescriptionHandle description, ulong index);
    }
}
