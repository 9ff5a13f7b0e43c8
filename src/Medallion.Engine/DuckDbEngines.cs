using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Medallion.DuckDb;

namespace Medallion.Engine;

/// <summary>
/// Opens every DuckDB database Medallion's work runs on, each kind with its own settings: the one place where a thread
/// count or a memory limit is chosen. A host builds one (a project's environment holds it) and everything below asks it;
/// code without a host uses <see cref="Default"/>.
/// </summary>
/// <remarks>
/// The kinds differ for measured reasons: model runs, quality checks and SQL sessions use every core; ingestion leaves one
/// core to the source's reader (<see cref="OpenIngestion"/>); the SQL endpoint's database is sandboxed to the lake's
/// folders and shares one memory limit among its sessions (<see cref="OpenServing"/>); small reads (a parse, a sample,
/// an audit append) get a private database of their own (<see cref="OpenScratch"/>) so they never queue behind a run.
/// </remarks>
public sealed class DuckDbEngines
{
    /// <summary>Creates the engines of a host.</summary>
    /// <param name="threads">DuckDB's worker threads for work databases; the processor count when null.</param>
    /// <param name="memoryLimit">DuckDB's <c>memory_limit</c> of each work and ingestion database (e.g. <c>4GB</c>); DuckDB's default (80% of RAM) when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public DuckDbEngines(int? threads = null, string? memoryLimit = null)
    {
        if (threads is { } count)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(threads));
        }

        Threads = threads ?? Environment.ProcessorCount;
        MemoryLimit = memoryLimit;
    }

    /// <summary>The engines of code without a host: every core, DuckDB's default memory limit.</summary>
    public static DuckDbEngines Default { get; } = new();

    /// <summary>DuckDB's worker threads in a work database.</summary>
    public int Threads { get; }

    /// <summary>
    /// DuckDB's worker threads in an ingestion database: one fewer than <see cref="Threads"/> (at least one). Database
    /// sources are read on a thread of their own while DuckDB writes the previous batch, and on a small machine DuckDB's
    /// extra worker only spins against that reader (measured: a 5M-row PostgreSQL load on 2 cores took 14.0 s with one
    /// DuckDB thread and 15.2–16.0 s with two).
    /// </summary>
    public int IngestionThreads => Math.Max(1, Threads - 1);

    /// <summary>The <c>memory_limit</c> of work and ingestion databases; null for DuckDB's default.</summary>
    public string? MemoryLimit { get; }

    /// <summary>Opens an in-memory database for model runs, quality checks and SQL sessions: <see cref="Threads"/> workers.</summary>
    /// <exception cref="DuckDbException">DuckDB could not start or refused a setting.</exception>
    public DuckDbDatabase OpenWork() => DuckDbDatabase.Open(Settings(Threads));

    /// <summary>Opens an in-memory database for a process that ingests: <see cref="IngestionThreads"/> workers.</summary>
    /// <exception cref="DuckDbException">DuckDB could not start or refused a setting.</exception>
    public DuckDbDatabase OpenIngestion() => DuckDbDatabase.Open(Settings(IngestionThreads));

    /// <summary>
    /// Opens a connection to a private in-memory database of its own, released with the connection: for a small read
    /// beside the work (parsing SQL, a sample of rows, an audit append), which must not queue behind a run's queries.
    /// </summary>
    /// <exception cref="DuckDbException">DuckDB could not start or refused a setting.</exception>
    public DuckDbConnection OpenScratch()
    {
        var connection = new DuckDbConnection(Settings(Threads).ConnectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the database the SQL endpoint serves sessions from: it reads files only under
    /// <paramref name="readableDirectories"/>, and its configuration is locked, except <c>memory_limit</c>, which the
    /// server alone changes to share the limit among the databases of its sessions.
    /// </summary>
    /// <remarks>
    /// The limit is one pool for every session, not a budget per query: DuckDB 1.5 has no per-connection or per-query
    /// memory limit (<c>memory_limit</c> is database-wide, <c>max_temp_directory_size</c> bounds spilling to disk for
    /// the database as a whole). A factory over the database splits it with the databases of restricted users, so it
    /// still bounds them all together. What it guarantees: the server's queries never hold more than the limit together;
    /// operators that can spill (joins, aggregates, sorts) go to disk first; a query that still cannot get memory
    /// fails alone with SQLSTATE 53200 while the others and its own session go on. It does not guarantee that one
    /// large query cannot make another fail by using most of the pool first.
    /// </remarks>
    /// <param name="databaseFile">A DuckDB file whose tables to serve too, or null for an in-memory database.</param>
    /// <param name="readableDirectories">The folders queries may read files from (the lakehouse's storage).</param>
    /// <param name="memoryLimit">DuckDB's <c>memory_limit</c>, or null for <see cref="MemoryLimit"/>.</param>
    /// <exception cref="DuckDbException">The file cannot be opened or a setting is refused (a malformed memory limit).</exception>
    public DuckDbDatabase OpenServing(string? databaseFile, IEnumerable<string> readableDirectories, string? memoryLimit = null)
    {
        ArgumentNullException.ThrowIfNull(readableDirectories);
        DuckDbConnectionStringBuilder builder = Settings(Threads, memoryLimit);
        builder.DataSource = databaseFile ?? DuckDbConnectionStringBuilder.InMemory;
        DuckDbDatabase database = DuckDbDatabase.Open(builder);
        try
        {
            using DuckDbConnection connection = database.CreateConnection();
            using DuckDbCommand command = connection.CreateCommand();
            // Once external access is off, DuckDB checks every path a query opens against allowed_directories,
            // which can no longer be changed after that. Then the configuration is locked, for good: sessions keep
            // only the per-connection settings a PostgreSQL client changes (TimeZone, search_path), so no statement
            // that slipped past the session's check could change memory, threads or logging for everyone.
            List<string> directories = readableDirectories.Select(d => DuckDbConnection.QuoteLiteral(Path.TrimEndingDirectorySeparator(Path.GetFullPath(d)) + Path.DirectorySeparatorChar)).ToList();
            // memory_limit stays open to the server alone (a session's guard refuses every SET): it shares the limit among
            // the databases that serve sessions.
            command.CommandText = (directories.Count == 0 ? string.Empty : $"SET allowed_directories = [{string.Join(", ", directories)}]; ")
                + "SET enable_external_access = false; SET allowed_configs = ['TimeZone', 'search_path', 'schema', 'memory_limit']; SET lock_configuration = true";
            command.ExecuteNonQuery();
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    private DuckDbConnectionStringBuilder Settings(int threads, string? memoryLimit = null)
    {
        var builder = new DuckDbConnectionStringBuilder { Threads = threads };
        if ((memoryLimit ?? MemoryLimit) is { } limit)
        {
            builder.MemoryLimit = limit;
        }

        return builder;
    }
}
