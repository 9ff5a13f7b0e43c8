using System;
using System.Collections.Generic;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>
/// One open DuckDB database, shared by any number of connections (one per concurrent user).
/// Connections made from it see the same tables, in-memory ones included.
/// </summary>
/// <remarks>
/// Thread-safe. The native database stays open until this object and every connection made from it
/// are disposed. Opening the same file twice in one process yields the same underlying instance
/// (DuckDB's instance cache), so two writers never fight over the file.
/// </remarks>
public sealed class DuckDbDatabase : IDisposable
{
    private static readonly IntPtr s_instanceCache = NativeMethods.Startup.CreateInstanceCache();

    private readonly DuckDbDatabaseHandle _handle;

    private DuckDbDatabase(DuckDbDatabaseHandle handle, string dataSource)
    {
        _handle = handle;
        DataSource = dataSource;
    }

    /// <summary>The file this database lives in, or <c>:memory:</c>.</summary>
    public string DataSource { get; }

    internal DuckDbDatabaseHandle Handle => _handle;

    private const string ExternalFileCacheSetting = "enable_external_file_cache";

    /// <summary>The DuckDB library version, e.g. <c>v1.5.6</c>.</summary>
    public static string LibraryVersion => NativeMethods.Startup.LibraryVersion();

    /// <summary>Opens (or, for a file already open in this process, shares) a database.</summary>
    /// <param name="connectionString">A connection string; see <see cref="DuckDbConnectionStringBuilder"/>.</param>
    /// <exception cref="DuckDbException">The file cannot be opened or a setting is rejected.</exception>
    public static DuckDbDatabase Open(string connectionString = "") => Open(new DuckDbConnectionStringBuilder(connectionString));

    /// <summary>Opens (or, for a file already open in this process, shares) a database.</summary>
    /// <remarks>
    /// DuckDB's external file cache is off unless the connection string turns it on (<c>enable_external_file_cache=true</c>):
    /// it keeps an entry for every file path a database ever read and the blocks read from it, released only under memory
    /// pressure (DuckDB's memory limit, 80% of RAM by default), so a database that lives as long as a server and reads
    /// each new data file of its runs once grew by about 17 KB a file read (issue 36's soak: ~18 KB a run). The files
    /// read here are local (a remote lake is read through a local cache), which the OS caches already.
    /// </remarks>
    /// <exception cref="DuckDbException">The file cannot be opened or a setting is rejected.</exception>
    public static DuckDbDatabase Open(DuckDbConnectionStringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var settings = new Dictionary<string, string>(builder.GetDuckDbSettings(), StringComparer.Ordinal);
        settings.TryAdd(ExternalFileCacheSetting, "false");
        using DuckDbConfigHandle config = CreateConfig(settings);
        string dataSource = builder.IsInMemory ? DuckDbConnectionStringBuilder.InMemory : builder.DataSource;
        DuckDbState state;
        DuckDbDatabaseHandle handle;
        IntPtr error;
        if (builder.IsInMemory)
        {
            state = NativeMethods.Startup.OpenExt(null, out handle, config, out error);
        }
        else
        {
            state = NativeMethods.Startup.GetOrCreateFromCache(s_instanceCache, dataSource, out handle, config, out error);
        }

        if (state != DuckDbState.Success)
        {
            string message = TakeError(error) ?? "unknown error";
            handle.Dispose();
            throw new DuckDbException(ErrorCode.DuckDbOpenFailed, DuckDbErrorType.Connection,
                $"Could not open the DuckDB database '{dataSource}': {message} Help: check that the file is readable and writable, and the connection string's settings against SELECT * FROM duckdb_settings().");
        }

        return new DuckDbDatabase(handle, dataSource);
    }

    /// <summary>Creates and opens a new connection to this database.</summary>
    public DuckDbConnection CreateConnection()
    {
        var connection = new DuckDbConnection(this);
        connection.Open();
        return connection;
    }

    /// <summary>Releases this reference to the database; it closes once its connections are gone too.</summary>
    public void Dispose() => _handle.Dispose();

    private static DuckDbConfigHandle CreateConfig(IReadOnlyDictionary<string, string> settings)
    {
        if (NativeMethods.Startup.CreateConfig(out DuckDbConfigHandle config) != DuckDbState.Success)
        {
            config.Dispose();
            throw new DuckDbException(ErrorCode.DuckDbOpenFailed, DuckDbErrorType.Settings, "DuckDB could not allocate a configuration.");
        }

        foreach ((string name, string value) in settings)
        {
            if (NativeMethods.Startup.SetConfig(config, name, value) != DuckDbState.Success)
            {
                config.Dispose();
                throw new DuckDbException(ErrorCode.DuckDbOpenFailed, DuckDbErrorType.Settings,
                    $"DuckDB rejected the setting '{name}' = '{value}'. Help: check the name against SELECT * FROM duckdb_settings().");
            }
        }

        return config;
    }

    private static string? TakeError(IntPtr error)
    {
        if (error == IntPtr.Zero)
        {
            return null;
        }

        string? message = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(error);
        NativeMethods.Helpers.Free(error);
        return message;
    }
}
