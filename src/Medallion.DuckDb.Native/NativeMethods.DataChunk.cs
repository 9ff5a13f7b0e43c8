using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Medallion.DuckDb.Native;

internal static partial class NativeMethods
{
    /// <summary>
    /// Data chunks, vectors and validity masks. https://duckdb.org/docs/stable/clients/c/data_chunk and /vector.
    /// Vectors are borrowed from their chunk: never destroyed, valid while the chunk lives.
    /// </summary>
    internal static unsafe partial class DataChunk
    {
        [LibraryImport(LibraryName, EntryPoint = "duckdb_create_data_chunk")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr CreateDataChunk(IntPtr* types, ulong columnCount);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_data_chunk")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void DestroyDataChunk(ref IntPtr chunk);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_data_chunk_reset")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void Reset(IntPtr chunk);

        // Trivial getters over the chunk's fields: no locks, no allocation, so skipping the GC transition is safe.
        [LibraryImport(LibraryName, EntryPoint = "duckdb_data_chunk_get_size")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [SuppressGCTransition]
        internal static partial ulong GetSize(IntPtr chunk);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_data_chunk_set_size")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [SuppressGCTransition]
        internal static partial void SetSize(IntPtr chunk, ulong size);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_data_chunk_get_vector")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [SuppressGCTransition]
        internal static partial IntPtr GetVector(IntPtr chunk, ulong column);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_vector_get_data")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [SuppressGCTransition]
        internal static partial void* VectorGetData(IntPtr vector);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_vector_get_validity")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [SuppressGCTransition]
        internal static partial ulong* VectorGetValidity(IntPtr vector);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_vector_ensure_validity_writable")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void VectorEnsureValidityWritable(IntPtr vector);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_list_vector_get_child")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr ListVectorGetChild(IntPtr vector);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_struct_vector_get_child")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr StructVectorGetChild(IntPtr vector, ulong index);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_array_vector_get_child")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr ArrayVectorGetChild(IntPtr vector);
    }
}
