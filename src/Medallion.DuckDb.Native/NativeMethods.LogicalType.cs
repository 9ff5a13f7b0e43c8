using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace Medallion.DuckDb.Native;

internal static partial class NativeMethods
{
    /// <summary>Logical types. https://duckdb.org/docs/stable/clients/c/types</summary>
    internal static partial class LogicalType
    {
        [LibraryImport(LibraryName, EntryPoint = "duckdb_create_logical_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle Create(DuckDbType type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_logical_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void Destroy(ref IntPtr type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_get_type_id")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbType GetTypeId(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_logical_type_get_alias")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbCallerFreesStringMarshaller))]
        internal static partial string? GetAlias(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_decimal_width")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial byte DecimalWidth(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_decimal_scale")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial byte DecimalScale(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_decimal_internal_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbType DecimalInternalType(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_enum_internal_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbType EnumInternalType(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_enum_dictionary_size")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial uint EnumDictionarySize(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_enum_dictionary_value")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbCallerFreesStringMarshaller))]
        internal static partial string? EnumDictionaryValue(DuckDbLogicalTypeHandle type, ulong index);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_list_type_child_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle ListChildType(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_array_type_child_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle ArrayChildType(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_array_type_array_size")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ulong ArraySize(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_map_type_key_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle MapKeyType(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_map_type_value_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle MapValueType(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_struct_type_child_count")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ulong StructChildCount(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_struct_type_child_name")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbCallerFreesStringMarshaller))]
        internal static partial string? StructChildName(DuckDbLogicalTypeHandle type, ulong index);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_struct_type_child_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle StructChildType(DuckDbLogicalTypeHandle type, ulong index);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_union_type_member_count")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ulong UnionMemberCount(DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_union_type_member_name")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbCallerFreesStringMarshaller))]
        internal static partial string? UnionMemberName(DuckDbLogicalTypeHandle type, ulong index);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_union_type_member_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbLogicalTypeHandle UnionMemberType(DuckDbLogicalTypeHandle type, ulong index);
    }
}
