using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Engine;
using Medallion.Ingestion;
using Microsoft.Extensions.Logging;

namespace Medallion.Pipelines.Sources;

/// <summary>What one pass over one table of a database source did.</summary>
/// <param name="Source">The source's name.</param>
/// <param name="Table">The source table.</param>
/// <param name="Target">The bronze table.</param>
/// <param name="Result">Batches and rows moved, and the position reached.</param>
/// <param name="Version">The bronze table's version after the pass (null when there is no table yet).</param>
/// <param name="SlotLagBytes">CDC: how far the slot trails the server's WAL after the pass, in bytes.</param>
/// <param name="Mode">How the table is read.</param>
/// <param name="CommittedVersion">The last bronze version this pass committed; null when it committed nothing.</param>
public sealed record DatabaseTableResult(string Source, string Table, TableName Target, IngestionResult Result, long? Version, long? SlotLagBytes, IngestionMode Mode = IngestionMode.Full, long? CommittedVersion = null)
{
    /// <summary>The position reached as people read it: the LSN for CDC, else null.</summary>
    public string? PositionText => Result.Position?.Lsn is ulong lsn ? $"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}" : null;

    /// <summary>This pass as the catalog keeps it (<see cref="RunStore.RecordSourceRunAsync"/>).</summary>
    /// <param name="runId">The run (or ingest session) the pass belongs to.</param>
    /// <param name="pass">The pass's number in it, from 1.</param>
    /// <param name="recordedAt">When the pass ended.</param>
    public SourceRunRecord ToRecord(string runId, long pass, DateTimeOffset recordedAt) => new(
        runId, Target, pass, Source, Table, Mode.ToString().ToLowerInvariant(), Result.Rows, Result.Batches, PositionText, CommittedVersion, SlotLagBytes, recordedAt);
}

/// <summary>
/// Lands a project's database sources in bronze: the entry point for <c>medallion ingest</c> and for a pipeline
/// runner's source step (the counterpart of file loading). Each table streams through its connector into
/// <see cref="BronzeSink"/> at <see cref="ProjectCatalog.TableLocation"/>; the position lives in the bronze table,
/// so any pass resumes where the last commit ended.
/// </summary>
public static class DatabaseSourceLoader
{
    /// <summary>
    /// Runs one pass over every table of <paramref name="source"/>: a full load replaces the bronze table,
    /// incremental reads what is new since the committed cursor, CDC drains the changes available now (the first
    /// time, a snapshot of the table).
    /// </summary>
    /// <param name="project">The project (bronze tables live under its storage, which must be local).</param>
    /// <param name="source">One of <see cref="MedallionProject.DatabaseSources"/>.</param>
    /// <param name="writer">A writer of the project (<see cref="ProjectEnvironment.CreateWriter"/>): stages batches and writes Parquet on its open DuckDB connection, and commits to bronze (see <see cref="BronzeSink(DeltaWriter, string, string)"/>).</param>
    /// <param name="loggerFactory">Where the connectors' retries and warnings are logged.</param>
    /// <param name="cancellationToken">Stops the pass; what was committed stays committed, nothing is half-committed.</param>
    /// <exception cref="MedallionException">A table cannot be read or written, or the writer's fence refused a commit; the message names the source and table.</exception>
    public static async Task<IReadOnlyList<DatabaseTableResult>> LoadAsync(
        MedallionProject project, DatabaseSourceDefinition source, DeltaWriter writer, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(writer);
        var results = new List<DatabaseTableResult>(source.Tables.Count);
        foreach (DatabaseTableDefinition table in source.Tables)
        {
            results.Add(await LandTableAsync(project, source, table, writer, null, loggerFactory, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>
    /// Keeps the sources flowing until <paramref name="cancellationToken"/> is cancelled: CDC tables drain their
    /// changes in passes of about <paramref name="interval"/>, committing what arrived as soon as the commit before
    /// is done and a quarter <paramref name="interval"/> has passed since it (group commit; MySQL commits every quarter
    /// <paramref name="interval"/>), and at least every quarter <paramref name="interval"/> while changes keep coming (each pass also confirms the slot up to the server's heartbeat, so quiet tables
    /// do not hold WAL back), incremental and full tables are
    /// read again every <paramref name="interval"/>, and so are the HTTP API sources (an incremental one asks for
    /// what is new since its committed position; a full one reads the API again and replaces its table). Each pass
    /// is yielded when it ends; the next one starts when the caller asks for it. Each table keeps one connector for every
    /// pass, and a CDC table from PostgreSQL one replication stream (see <see cref="SourceTableOptions.KeepStreamOpen"/>),
    /// closed when the sequence ends. Cancellation ends the sequence normally:
    /// a CDC pass under way ends at once without committing its micro-batch (the next start resumes from the last
    /// commit); with <paramref name="abort"/>, a pass of an incremental or full table or of an API under way goes on to
    /// commit until that is cancelled too (a stop whose grace ran out), else it ends at once the same way.
    /// </summary>
    /// <param name="project">The project (bronze tables live under its storage, which must be local).</param>
    /// <param name="sources">Database sources of the project.</param>
    /// <param name="apiSources">HTTP API sources of the project.</param>
    /// <param name="writer">A writer of the project (<see cref="ProjectEnvironment.CreateWriter"/>): stages batches and writes Parquet on its open DuckDB connection, and commits every pass to bronze (see <see cref="BronzeSink(DeltaWriter, string, string)"/>).</param>
    /// <param name="interval">The time between passes (a CDC pass's length), and four times the longest a CDC batch collects changes before its commit.</param>
    /// <param name="loggerFactory">Where the connectors' retries and warnings are logged.</param>
    /// <param name="cancellationToken">Stops the passes.</param>
    /// <param name="abort">After the stop, cancels the passes of incremental and full tables and of APIs under way (they commit nothing); by default the stop does.</param>
    /// <exception cref="MedallionException">A table or an API failed, or the writer's fence refused a commit; earlier commits stay.</exception>
    public static async IAsyncEnumerable<DatabaseTableResult> RunContinuousAsync(
        MedallionProject project, IReadOnlyList<DatabaseSourceDefinition> sources, IReadOnlyList<ApiSourceDefinition> apiSources, DeltaWriter writer,
        TimeSpan interval, ILoggerFactory? loggerFactory = null, [EnumeratorCancellation] CancellationToken cancellationToken = default, CancellationToken abort = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(apiSources);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        // One connector per table for every pass: a CDC stream stays open from one pass to the next.
        var connectors = new SourceConnectors(interval);
        var streams = new List<(DatabaseSourceDefinition Source, DatabaseTableDefinition Table)>();
        foreach (DatabaseSourceDefinition source in sources)
        {
            foreach (DatabaseTableDefinition table in source.Tables)
            {
                streams.Add((source, table));
            }
        }

        await using (connectors.ConfigureAwait(false))
        {
            // A pass that is not a CDC stream's goes on after the stop, to commit within the caller's grace.
            CancellationToken polling = abort.CanBeCanceled ? abort : cancellationToken;
            while (true)
            {
                DateTime started = DateTime.UtcNow;
                foreach ((DatabaseSourceDefinition source, DatabaseTableDefinition table) in streams)
                {
                    CancellationToken pass = table.Mode == IngestionMode.Cdc ? cancellationToken : polling;
                    DatabaseTableResult? result = cancellationToken.IsCancellationRequested
                        ? null
                        : await UntilStoppedAsync(LandTableAsync(project, source, table, writer, connectors.Get(source, table, loggerFactory), loggerFactory, pass), cancellationToken).ConfigureAwait(false);
                    if (result is null)
                    {
                        yield break;
                    }

                    yield return result;
                }

                foreach (ApiSourceDefinition api in apiSources)
                {
                    DatabaseTableResult? result = cancellationToken.IsCancellationRequested
                        ? null
                        : await UntilStoppedAsync(ApiSourceLoader.LoadAsync(project, api, writer, null, loggerFactory, polling), cancellationToken).ConfigureAwait(false);
                    if (result is null)
                    {
                        yield break;
                    }

                    yield return result;
                }

                TimeSpan rest = interval - (DateTime.UtcNow - started);
                if (rest > TimeSpan.Zero && !await WaitAsync(rest, cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }
            }
        }
    }

    /// <summary>The pass's result, or null when the caller stopped the passes: stopping is this mode's normal end, and every commit made so far stands.</summary>
    private static async Task<DatabaseTableResult?> UntilStoppedAsync(Task<DatabaseTableResult> pass, CancellationToken cancellationToken)
    {
        try
        {
            return await pass.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Waits between passes; false when the caller stopped the passes meanwhile.</summary>
    private static async Task<bool> WaitAsync(TimeSpan rest, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(rest, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The connector for one table of a database source.</summary>
    /// <param name="source">The source.</param>
    /// <param name="table">One of its tables.</param>
    /// <param name="changeWait">CDC: the micro-batch interval of a continuous run (see <see cref="DatabaseTableDefinition.ToOptions"/>); null drains what is available.</param>
    /// <param name="loggerFactory">Where the connector logs.</param>
    /// <exception cref="MedallionException">The connection's settings do not make a connection string (<see cref="ErrorCode.ProjectFileInvalid"/>, naming the connection).</exception>
    public static IIngestionSource CreateSource(DatabaseSourceDefinition source, DatabaseTableDefinition table, TimeSpan? changeWait = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(table);
        return CreateConnector(source, table.ToOptions(source.Name, changeWait), loggerFactory);
    }

    internal static IIngestionSource CreateConnector(DatabaseSourceDefinition source, SourceTableOptions options, ILoggerFactory? loggerFactory)
    {
        ConnectionDefinition connection = source.Connection;
        bool postgres = string.Equals(connection.Type, "postgres", StringComparison.OrdinalIgnoreCase);
        string connectionString = DatabaseUrl.ConnectionString(connection.Settings, postgres);
        try
        {
            return postgres
                ? new PostgresSource(connectionString, options, loggerFactory)
                : new MySqlSource(connectionString, options, loggerFactory);
        }
        catch (ArgumentException e)
        {
            throw new MedallionException(
                ErrorCode.ProjectFileInvalid,
                $"{connection.Location}: connection '{connection.Name}' cannot be used by source '{source.Name}': {e.Message}\nHelp: connections take host, port, database, user and password, plus the driver's own connection-string keywords (e.g. sslmode).",
                e,
                location: connection.Location);
        }
    }

    /// <summary>Runs one pass over one table of <paramref name="source"/> (a pipeline's source step).</summary>
    /// <param name="project">The project (bronze tables live under its storage, which must be local).</param>
    /// <param name="source">One of <see cref="MedallionProject.DatabaseSources"/>.</param>
    /// <param name="table">One of its tables.</param>
    /// <param name="writer">A writer of the project (<see cref="ProjectEnvironment.CreateWriter"/>): stages batches and writes Parquet on its open DuckDB connection, and commits to bronze (see <see cref="BronzeSink(DeltaWriter, string, string)"/>).</param>
    /// <param name="interval">CDC: the micro-batch interval (see <see cref="DatabaseTableDefinition.ToOptions"/>); null drains what is available.</param>
    /// <param name="loggerFactory">Where the connector's retries and warnings are logged.</param>
    /// <param name="cancellationToken">Stops the pass; what was committed stays committed, nothing is half-committed.</param>
    /// <exception cref="MedallionException">The table cannot be read or written, or the writer's fence refused a commit; the message names the source and table.</exception>
    public static Task<DatabaseTableResult> LoadTableAsync(
        MedallionProject project, DatabaseSourceDefinition source, DatabaseTableDefinition table, DeltaWriter writer, TimeSpan? interval = null,
        ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(writer);
        return LandTableAsync(project, source, table, writer, CreateSource(source, table, interval, loggerFactory), loggerFactory, cancellationToken);
    }

    /// <summary>Runs one pass over one table of <paramref name="source"/> through a connector the caller keeps (a continuous run's, see <see cref="SourceConnectors"/>).</summary>
    /// <param name="project">The project (bronze tables live under its storage, which must be local).</param>
    /// <param name="source">One of <see cref="MedallionProject.DatabaseSources"/>.</param>
    /// <param name="table">One of its tables.</param>
    /// <param name="writer">A writer of the project (see <see cref="LoadTableAsync(MedallionProject, DatabaseSourceDefinition, DatabaseTableDefinition, DeltaWriter, TimeSpan?, ILoggerFactory?, CancellationToken)"/>).</param>
    /// <param name="connector">The table's connector (<see cref="SourceConnectors.Get"/>).</param>
    /// <param name="cancellationToken">Stops the pass; what was committed stays committed, nothing is half-committed.</param>
    /// <exception cref="MedallionException">The table cannot be read or written, or the writer's fence refused a commit; the message names the source and table.</exception>
    public static Task<DatabaseTableResult> LoadTableAsync(
        MedallionProject project, DatabaseSourceDefinition source, DatabaseTableDefinition table, DeltaWriter writer, IIngestionSource connector, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(connector);
        return LandTableAsync(project, source, table, writer, connector, null, cancellationToken);
    }

    private static async Task<DatabaseTableResult> LandTableAsync(
        MedallionProject project, DatabaseSourceDefinition source, DatabaseTableDefinition table, DeltaWriter writer, IIngestionSource? connector,
        ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        string location = ProjectCatalog.TableLocation(project, table.Target);
        connector ??= CreateSource(source, table, null, loggerFactory);
        BronzeLanding landed = await IngestionRunner.LandAsync(connector, writer, location, source.Name, cancellationToken).ConfigureAwait(false);
        long? lag = table.Mode != IngestionMode.Cdc ? null : connector switch
        {
            PostgresSource postgres => await postgres.GetSlotLagBytesAsync(cancellationToken).ConfigureAwait(false),
            MySqlSource mysql => await mysql.GetBinlogLagBytesAsync(landed.Result.Position, cancellationToken).ConfigureAwait(false),
            _ => null,
        };
        return new DatabaseTableResult(source.Name, table.Table, table.Target, landed.Result, landed.TableVersion, lag, table.Mode, landed.CommittedVersion);
    }
}
