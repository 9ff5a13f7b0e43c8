using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Medallion.DuckDb.Native;

internal static partial class NativeMethods
{
    /// <summary>
    /// Scalar functions implemented in .NET: https://duckdb.org/docs/stable/clients/c/api#scalar-functions. The callback is an
    /// unmanaged function pointer (<c>[UnmanagedCallersOnly]</c>) run on DuckDB's threads with a flattened input chunk; it
    /// sets NULLs in the output itself (DuckDB does not) and reports failures through <see cref="SetError"/>.
    /// </summary>
    internal static unsafe partial class ScalarFunction
    {
        [LibraryImport(LibraryName, EntryPoint = "duckdb_create_scalar_function")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr Create();

        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_scalar_function")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void Destroy(ref IntPtr function);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_scalar_function_set_name", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void SetName(IntPtr function, string name);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_scalar_function_add_parameter")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void AddParameter(IntPtr function, DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_scalar_function_set_return_type")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void SetReturnType(IntPtr function, DuckDbLogicalTypeHandle type);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_scalar_function_set_extra_info")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void SetExtraInfo(IntPtr function, IntPtr extraInfo, IntPtr destroy);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_scalar_function_set_function")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void SetFunction(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, void> callback);

        /// <summary>Creates a set of overloads of one name (destroyed with <see cref="DestroySet"/> once registered).</summary>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_create_scalar_function_set", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr CreateSet(string name);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_scalar_function_set")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void DestroySet(ref IntPtr set);

        /// <summary>Adds a copy of <paramref name="function"/> to <paramref name="set"/>; an error when an overload of its parameter types is there.</summary>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_add_scalar_function_to_set")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState AddToSet(IntPtr set, IntPtr function);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_register_scalar_function_set")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState RegisterSet(DuckDbConnectionHandle connection, IntPtr set);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_scalar_function_get_extra_info")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [SuppressGCTransition]
        internal static partial IntPtr GetExtraInfo(IntPtr info);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_scalar_function_set_error", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void SetError(IntPtr info, string error);

        /// <summary>Copies <paramref name="length"/> bytes into row <paramref name="index"/> of a VARCHAR or BLOB vector.</summary>
        /// <remarks>Called once per row from a DuckDB thread: a copy into the vector's string heap that neither blocks nor calls back, so the GC transition is skipped.</remarks>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_vector_assign_string_element_len")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [SuppressGCTransition]
        internal static partial void AssignStringElement(IntPtr vector, ulong index, byte* value, ulong length);
    }
}
