using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;

namespace Medallion.DuckDb;

/// <summary>
/// Builds and parses DuckDB connection strings: <c>Data Source=lake.duckdb;Threads=4;Memory Limit=2GB;
/// Temp Directory=/tmp/spill;Read Only=true</c>. Any other key is passed to DuckDB as a setting of
/// that name (e.g. <c>default_order=desc</c>), and DuckDB rejects names it does not know.
/// </summary>
public sealed class DuckDbConnectionStringBuilder : DbConnectionStringBuilder
{
    /// <summary>The data source that opens a private in-memory database.</summary>
    public const string InMemory = ":memory:";

    private static readonly Dictionary<string, string> s_settingsByKey = new(StringComparer.OrdinalIgnoreCase)
    {
        ["threads"] = "threads",
        ["memory limit"] = "memory_limit",
        ["memorylimit"] = "memory_limit",
        ["temp directory"] = "temp_directory",
        ["tempdirectory"] = "temp_directory",
    };

    /// <summary>Creates an empty builder (an in-memory database with DuckDB's defaults).</summary>
    public DuckDbConnectionStringBuilder()
    {
    }

    /// <summary>Parses a connection string.</summary>
    public DuckDbConnectionStringBuilder(string? connectionString)
    {
        ConnectionString = connectionString ?? string.Empty;
    }

    /// <summary>The database file, or <c>:memory:</c> (the default) for a private in-memory database.</summary>
    public string DataSource
    {
        get => TryGetValue("Data Source", out object? value) || TryGetValue("DataSource", out value) ? Convert.ToString(value, CultureInfo.InvariantCulture) ?? InMemory : InMemory;
        set => this["Data Source"] = value;
    }

    /// <summary>Worker threads DuckDB may use; null leaves DuckDB's default (the number of cores).</summary>
    public int? Threads
    {
        get => TryGetValue("Threads", out object? value) ? Convert.ToInt32(value, CultureInfo.InvariantCulture) : null;
        set => SetOrRemove("Threads", value?.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>DuckDB's memory limit, e.g. <c>2GB</c>; null leaves DuckDB's default (80% of RAM).</summary>
    public string? MemoryLimit
    {
        get => TryGetValue("Memory Limit", out object? value) ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;
        set => SetOrRemove("Memory Limit", value);
    }

    /// <summary>Where DuckDB spills to disk when a query exceeds the memory limit.</summary>
    public string? TempDirectory
    {
        get => TryGetValue("Temp Directory", out object? value) ? Convert.ToString(value, CultureInfo.InvariantCulture) : null;
        set => SetOrRemove("Temp Directory", value);
    }

    /// <summary>Opens the database read-only (DuckDB's <c>access_mode=READ_ONLY</c>).</summary>
    public bool ReadOnly
    {
        get => TryGetValue("Read Only", out object? value) && Convert.ToBoolean(value, CultureInfo.InvariantCulture);
        set => SetOrRemove("Read Only", value ? "true" : null);
    }

    /// <summary>True when the data source is an in-memory database.</summary>
    public bool IsInMemory => DataSource is "" or InMemory;

    /// <summary>The DuckDB settings this connection string asks for, by DuckDB's own names.</summary>
    public IReadOnlyDictionary<string, string> GetDuckDbSettings()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in Keys)
        {
            string value = Convert.ToString(this[key], CultureInfo.InvariantCulture) ?? string.Empty;
            if (key.Equals("Data Source", StringComparison.OrdinalIgnoreCase) || key.Equals("DataSource", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (key.Equals("Read Only", StringComparison.OrdinalIgnoreCase) || key.Equals("ReadOnly", StringComparison.OrdinalIgnoreCase))
            {
                if (Convert.ToBoolean(value, CultureInfo.InvariantCulture))
                {
                    settings["access_mode"] = "READ_ONLY";
                }

                continue;
            }

            settings[s_settingsByKey.TryGetValue(key, out string? setting) ? setting : key] = value;
        }

        return settings;
    }

    private void SetOrRemove(string key, string? value)
    {
        if (value is null)
        {
            Remove(key);
        }
        else
        {
            this[key] = value;
        }
    }
}
