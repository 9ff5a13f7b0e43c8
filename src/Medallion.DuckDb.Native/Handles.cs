using Medallion.DuckDb;
using System;
using System.Runtime.InteropServices;

namespace Medallion.DuckDb.Native;

// Every native object we own is a sealed SafeHandle whose release calls the matching duckdb_destroy_*.
// A child keeps its parent alive with DangerousAddRef, so finalization order can never free a database
// under a live connection.

/// <summary>An owned native object: zero means none, and the subclass's release calls its duckdb_destroy_*.</summary>
internal abstract class DuckDbOwnedHandle : SafeHandle
{
    protected DuckDbOwnedHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;
}

internal sealed class DuckDbDatabaseHandle : DuckDbOwnedHandle
{
    protected override bool ReleaseHandle()
    {
        IntPtr database = handle;
        NativeMethods.Startup.Close(ref database);
        return true;
    }
}

internal sealed class DuckDbConnectionHandle : DuckDbOwnedHandle
{
    private DuckDbDatabaseHandle? _database;

    /// <summary>Keeps the database open for as long as this connection lives.</summary>
    internal void HoldDatabase(DuckDbDatabaseHandle database)
    {
        bool added = false;
        database.DangerousAddRef(ref added);
        _database = database;
    }

    protected override bool ReleaseHandle()
    {
        IntPtr connection = handle;
        NativeMethods.Startup.Disconnect(ref connection);
        _database?.DangerousRelease();
        return true;
    }
}

internal sealed class DuckDbConfigHandle : DuckDbOwnedHandle
{
    protected override bool ReleaseHandle()
    {
        IntPtr config = handle;
        NativeMethods.Startup.DestroyConfig(ref config);
        return true;
    }
}

internal sealed class DuckDbPreparedStatementHandle : DuckDbOwnedHandle
{
    protected override bool ReleaseHandle()
    {
        IntPtr statement = handle;
        NativeMethods.Prepared.DestroyPrepare(ref statement);
        return true;
    }
}

internal sealed class DuckDbExtractedStatementsHandle : DuckDbOwnedHandle
{
    protected override bool ReleaseHandle()
    {
        IntPtr extracted = handle;
        NativeMethods.Prepared.DestroyExtracted(ref extracted);
        return true;
    }
}

internal sealed class DuckDbLogicalTypeHandle : DuckDbOwnedHandle
{
    protected override bool ReleaseHandle()
    {
        IntPtr type = handle;
        NativeMethods.LogicalType.Destroy(ref type);
        return true;
    }
}

internal sealed class DuckDbAppenderHandle : DuckDbOwnedHandle
{
    protected override bool ReleaseHandle()
    {
        IntPtr appender = handle;
        // Destroy also flushes; a failure here cannot be reported from a finalizer, and the
        // appender's owner flushes explicitly (and reports errors) before disposing.
        NativeMethods.Appender.Destroy(ref appender);
        return true;
    }
}

/// <summary>A data chunk we own: one fetched from a result, or one we created for appending.</summary>
internal sealed class DuckDbDataChunkHandle : DuckDbOwnedHandle
{
    public DuckDbDataChunkHandle(IntPtr chunk)
    {
        SetHandle(chunk);
    }

    protected override bool ReleaseHandle()
    {
        IntPtr chunk = handle;
        NativeMethods.DataChunk.DestroyDataChunk(ref chunk);
        return true;
    }
}

/// <summary>
/// A duckdb_result: 48 bytes the caller allocates and DuckDB fills; released with
/// duckdb_destroy_result and then freed. The pointer is what the column functions take.
/// </summary>
internal sealed unsafe class DuckDbResultHandle : DuckDbOwnedHandle
{
    public DuckDbResultHandle()
    {
        SetHandle((IntPtr)NativeMemory.AllocZeroed((nuint)sizeof(DuckDbResultStruct)));
    }

    internal DuckDbResultStruct* Pointer => (DuckDbResultStruct*)handle;

    protected override bool ReleaseHandle()
    {
        NativeMethods.Query.DestroyResult((DuckDbResultStruct*)handle);
        NativeMemory.Free((void*)handle);
        return true;
    }
}

internal sealed class DuckDbTableDescriptionHandle : DuckDbOwnedHandle
{
    protected override bool ReleaseHandle()
    {
        IntPtr description = handle;
        NativeMethods.TableDescription.Destroy(ref description);
        return true;
    }
}
