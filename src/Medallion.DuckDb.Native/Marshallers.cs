using System;
using System.Runtime.InteropServices;
using System.Runtime.InteropServices.Marshalling;

namespace Medallion.DuckDb.Native;

/// <summary>
/// A UTF-8 string that DuckDB owns (error texts, column names): read it, never free it. It stays
/// valid only as long as the object it came from, so it is copied into a managed string at once.
/// </summary>
[CustomMarshaller(typeof(string), MarshalMode.ManagedToUnmanagedOut, typeof(DuckDbOwnedStringMarshaller))]
internal static unsafe class DuckDbOwnedStringMarshaller
{
    public static string? ConvertToManaged(byte* unmanaged) => Utf8StringMarshaller.ConvertToManaged(unmanaged);
}

/// <summary>
/// A UTF-8 string DuckDB hands over to the caller (names from logical types, parameter names):
/// copied into a managed string, then released with <c>duckdb_free</c>.
/// </summary>
[CustomMarshaller(typeof(string), MarshalMode.ManagedToUnmanagedOut, typeof(DuckDbCallerFreesStringMarshaller))]
internal static unsafe class DuckDbCallerFreesStringMarshaller
{
    public static string? ConvertToManaged(byte* unmanaged) => Utf8StringMarshaller.ConvertToManaged(unmanaged);

    public static void Free(byte* unmanaged)
    {
        if (unmanaged != null)
        {
            NativeMethods.Helpers.Free((IntPtr)unmanaged);
        }
    }
}
