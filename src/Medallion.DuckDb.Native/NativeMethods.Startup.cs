using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace Medallion.DuckDb.Native;

internal static partial class NativeMethods
{
    /// <summary>Open, connect, configure, interrupt. https://duckdb.org/docs/stable/clients/c/connect and /config</summary>
    internal static partial class Startup
    {
        [LibraryImport(LibraryName, EntryPoint = "duckdb_create_instance_cache")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial IntPtr CreateInstanceCache();

        [LibraryImport(LibraryName, EntryPoint = "duckdb_get_or_create_from_cache", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState GetOrCreateFromCache(IntPtr instanceCache, string? path, out DuckDbDatabaseHandle database, DuckDbConfigHandle config, out IntPtr error);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_open_ext", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState OpenExt(string? path, out DuckDbDatabaseHandle database, DuckDbConfigHandle config, out IntPtr error);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_close")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void Close(ref IntPtr database);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_connect")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState Connect(DuckDbDatabaseHandle database, out DuckDbConnectionHandle connection);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_disconnect")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void Disconnect(ref IntPtr connection);

        /// <summary>Safe from any thread while a query runs on the connection: that is its purpose.</summary>
        [LibraryImport(LibraryName, EntryPoint = "duckdb_interrupt")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void Interrupt(DuckDbConnectionHandle connection);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_query_progress")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbQueryProgressStruct QueryProgress(DuckDbConnectionHandle connection);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_library_version")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        [return: MarshalUsing(typeof(DuckDbOwnedStringMarshaller))]
        internal static partial string LibraryVersion();

        [LibraryImport(LibraryName, EntryPoint = "duckdb_create_config")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState CreateConfig(out DuckDbConfigHandle config);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_set_config", StringMarshalling = StringMarshalling.Utf8)]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial DuckDbState SetConfig(DuckDbConfigHandle config, string name, string option);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_destroy_config")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void DestroyConfig(ref IntPtr config);
    }

    /// <summary>Memory helpers. https://duckdb.org/docs/stable/clients/c/api#helpers</summary>
    internal static partial class Helpers
    {
        [LibraryImport(LibraryName, EntryPoint = "duckdb_free")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial void Free(IntPtr pointer);

        [LibraryImport(LibraryName, EntryPoint = "duckdb_vector_size")]
        [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
        internal static partial ulong VectorSize();
    }
}
