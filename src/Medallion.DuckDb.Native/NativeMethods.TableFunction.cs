using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Medallion.DuckDb.Native;

internal static partial class NativeMethods
{
    /// <summary>
    /// Table functions implemented in .NET: definition, registration, and the bind/init/scan callbacks' accessors.
    /// https://duckdb.org/docs/stable/clients/c/table_functions. Callbacks are unmanaged function pointers
    /// (<c>[UnmanagedCallersOnly]</c>); they run on DuckDB's threads and report failures through the <c>*_set_error</c> calls.
    /// </summary>
    internal static unsafe partial class TableFunction
    {
        [LibraryImport(LibraryName, EntryPoint = "duckdb_create_table_function")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr Create();

        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_table_function")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void Destroy(ref IntPtr function);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_table_function_set_name", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void SetName(IntPtr function, string name);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_table_function_add_parameter")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void AddParameter(IntPtr function, DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_table_function_set_bind")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void SetBind(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, void> bind);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_table_function_set_init")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void SetInit(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, void> init);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_table_function_set_function")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void SetFunction(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void> scan);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_register_table_function")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState Register(DuckDbConnectionHandle connection, IntPtr function);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_get_parameter")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr BindGetParameter(IntPtr info, ulong index);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_get_int64")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial long GetInt64(IntPtr value);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_add_result_column", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void BindAddResultColumn(IntPtr info, string name, DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_set_bind_data")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void BindSetBindData(IntPtr info, IntPtr data, IntPtr destroy);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_set_cardinality")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void BindSetCardinality(IntPtr info, ulong cardinality, [MarshalAs(UnmanagedType.U1)] bool isExact);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_bind_set_error", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void BindSetError(IntPtr info, string error);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_init_set_init_data")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void InitSetInitData(IntPtr info, IntPtr data, IntPtr destroy);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_init_set_max_threads")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void InitSetMaxThreads(IntPtr info, ulong threads);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_function_get_bind_data")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr FunctionGetBindData(IntPtr info);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_function_get_init_data")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr FunctionGetInitData(IntPtr info);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_function_set_error", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void FunctionSetError(IntPtr info, string error);

        /// <summary>Makes <paramref name="to"/> share <paramref name="from"/>'s data (no copy); the buffer lives while either does.</summary>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_vector_reference_vector")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void VectorReferenceVector(IntPtr to, IntPtr from);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_malloc")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void* Malloc(nuint size);

        /// <summary><c>duckdb_free</c>'s address: the destroy callback of init data allocated with <see cref="Malloc"/>.</summary>
        internal static IntPtr FreeFunction { get; } = NativeLibrary.GetExport(NativeLibrary.Load(LibraryName, typeof(NativeMethods).Assembly, null), "duckdb_free");
    }
}
