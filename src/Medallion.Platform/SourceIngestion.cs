using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Ingestion;
using Medallion.Ingestion.Http;
using Medallion.Pipelines;
using Medallion.Pipelines.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Platform;

/// <summary>
/// Lands a project's database, HTTP API and file sources in bronze, once or continuously, and keeps the passes in the
/// project's catalog (created when missing) under one run, so run lists show rows, positions and slot lag later.
/// </summary>
public static class SourceIngestion
{
    /// <summary>Chooses the sources to land: by name, or every database, API and file source when no name is given.</summary>
    /// <param name="project">The project.</param>
    /// <param name="names">Source names (case-insensitive); empty for all.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.ProjectFileInvalid"/>: the project has no such sources, or a name is none of them (the message lists them).
    /// </exception>
    public static IngestSelection Select(MedallionProject project, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(names);
        if (project.DatabaseSources.Count == 0 && project.ApiSources.Count == 0 && project.Sources.Count == 0)
        {
            throw new MedallionException(ErrorCode.ProjectFileInvalid,
                $"The project in '{project.Directory}' has no database, HTTP API or file sources.\nHelp: add an entry with 'connection:' and 'tables:', with 'url:', or with 'format:' and 'path:', to a file under sources/; a Debezium endpoint source (with 'listen:') runs only when selected by name.");
        }

        if (names.Count == 0)
        {
            return new IngestSelection(project.DatabaseSources, project.ApiSources) { Files = project.Sources };
        }

        var chosen = new List<DatabaseSourceDefinition>();
        var apis = new List<ApiSourceDefinition>();
        var files = new List<SourceDefinition>();
        foreach (string name in names)
        {
            if (project.ApiSources.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) is { } api)
            {
                apis.Add(api);
            }
            else if (project.Sources.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) is { } file)
            {
                files.Add(file);
            }
            else
            {
                chosen.Add(project.DatabaseSources.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new MedallionException(ErrorCode.ProjectFileInvalid,
                        $"The project has no source '{name}'.\nHelp: the project's sources are {string.Join(", ", project.DatabaseSources.Select(s => s.Name).Concat(project.ApiSources.Select(s => s.Name)).Concat(project.Sources.Select(s => s.Name)).Concat(project.EndpointSources.Select(s => s.Name)))}."));
            }
        }

        return new IngestSelection(chosen, apis) { Files = files };
    }

    /// <summary>
    /// Makes a project ready for a database source given as a URL (<see cref="DatabaseSourceUrl.Parse"/>): writes a
    /// <c>medallion.yml</c> into <paramref name="directory"/> when it has none, and registers the source's bronze
    /// table in the catalog, since no project file declares it. The URL itself is written nowhere.
    /// </summary>
    /// <param name="directory">The folder the load lands in.</param>
    /// <param name="source">The parsed URL source.</param>
    /// <param name="options">The host's clock, logs and engines for the project's environment.</param>
    /// <param name="cancellationToken">Stops the preparation.</param>
    /// <returns>The project's environment (the caller's to dispose), the source and the settings file written.</returns>
    /// <exception cref="MedallionException">The existing project does not load, or its catalog cannot be opened.</exception>
    public static async Task<UrlSourceProject> PrepareUrlSourceAsync(string directory, DatabaseUrlSource source, ProjectEnvironmentOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(source);
        string? created = File.Exists(Path.Combine(directory, MedallionProject.FileName))
            ? null
            : await ProjectTemplate.CreateSettingsAsync(directory, cancellationToken).ConfigureAwait(false);
        ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(directory, options, cancellationToken).ConfigureAwait(false);
        try
        {
            DatabaseTableDefinition target = source.Source.Tables[0];
            // The target is in no project file: the catalog knows it from here on (tables, describe, sql).
            CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
            await catalog.Tables.UpsertTableAsync(new CatalogTable(target.Target, ProjectCatalog.TableLocation(environment.Project, target.Target)), cancellationToken).ConfigureAwait(false);
            return new UrlSourceProject(environment, source.Source, created);
        }
        catch
        {
            await environment.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Where a table named on the command line (not in a project file) lands: under the project's storage when
    /// <paramref name="directory"/> holds a project, else under <c>warehouse/</c> in it (a new project's default storage).
    /// </summary>
    /// <param name="directory">The folder the load runs in.</param>
    /// <param name="table">The bronze table.</param>
    /// <param name="cancellationToken">Stops the loading of the project.</param>
    /// <returns>The table's absolute location.</returns>
    /// <exception cref="MedallionException">The folder's project does not load.</exception>
    public static async Task<string> AdHocTableLocationAsync(string directory, TableName table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return Path.GetFullPath(File.Exists(Path.Combine(directory, MedallionProject.FileName))
            ? ProjectCatalog.TableLocation(await MedallionProject.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false), table)
            : Path.Combine(directory, "warehouse", table.Namespace.ToLowerInvariant(), table.Name.ToLowerInvariant()));
    }

    /// <summary>Reads one JSON API once into the bronze table at <paramref name="tableLocation"/> (no catalog run: no project may exist).</summary>
    /// <param name="options">The API: its name, URL and where the records are in a response.</param>
    /// <param name="tableLocation">The bronze table's location.</param>
    /// <param name="loggerFactory">Where requests, retries and commits are logged.</param>
    /// <param name="cancellationToken">Stops the read; what was committed stays committed.</param>
    /// <returns>Rows and batches moved, and the version committed (null when the API had nothing new).</returns>
    /// <exception cref="MedallionException">The API cannot be read or its records cannot be written.</exception>
    public static async Task<(IngestionResult Result, long? CommittedVersion)> ReadApiOnceAsync(
        HttpApiSourceOptions options, string tableLocation, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(tableLocation);
        ILoggerFactory log = loggerFactory ?? NullLoggerFactory.Instance;
        using DuckDbDatabase database = DuckDbEngines.Default.OpenIngestion();
        using DuckDbConnection connection = database.CreateConnection();
        using var api = new HttpApiSource(options, log);
        BronzeLanding landed = await IngestionRunner.LandAsync(api, new DeltaWriter(connection) { LoggerFactory = log }, tableLocation, options.SourceName, cancellationToken).ConfigureAwait(false);
        return (landed.Result, landed.CommittedVersion);
    }

    /// <summary>
    /// One pass over every table of the selected sources: full tables are replaced, incremental ones read what is new
    /// since their committed cursor, CDC tables drain the changes available now. Every pass is recorded and yielded.
    /// </summary>
    /// <param name="environment">The project (bronze tables live under its storage, which must be local), its catalog, engines and logs.</param>
    /// <param name="selection">What to land.</param>
    /// <param name="cancellationToken">Stops the ingest; what was committed stays committed, and the run is recorded as cancelled.</param>
    /// <exception cref="MedallionException">A table cannot be read or written; the run is recorded as failed with the error.</exception>
    public static IAsyncEnumerable<IngestPass> IngestOnceAsync(ProjectEnvironment environment, IngestSelection selection, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(selection);
        return IngestAsync(environment, selection, null, cancellationToken, abort: default);
    }

    /// <summary>
    /// Passes until <paramref name="cancellationToken"/> is cancelled (see <see cref="DatabaseSourceLoader.RunContinuousAsync"/>):
    /// a pass is recorded and yielded when it moved rows, is a table's first, or the slot's lag moved by a megabyte
    /// or more; quiet passes are neither kept nor yielded. Cancellation ends the sequence normally, the run recorded
    /// as succeeded: every commit made stands.
    /// </summary>
    /// <param name="environment">The project (bronze tables live under its storage, which must be local), its catalog, engines and logs.</param>
    /// <param name="selection">What to land.</param>
    /// <param name="interval">The time between passes, and the CDC micro-batch length.</param>
    /// <param name="cancellationToken">Stops the passes after the last commit: a CDC stream's at once (its micro-batch under way commits nothing), the others when the pass under way has committed.</param>
    /// <param name="abort">After the stop, cancels the passes under way (a stop whose grace ran out); they commit nothing. By default the stop does.</param>
    /// <exception cref="MedallionException">A table or an API failed; earlier commits stay, the run is recorded as failed.</exception>
    public static IAsyncEnumerable<IngestPass> IngestContinuouslyAsync(
        ProjectEnvironment environment, IngestSelection selection, TimeSpan interval, CancellationToken cancellationToken = default, CancellationToken abort = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        if (selection.Files.Count > 0 && selection.Databases.Count + selection.Apis.Count == 0)
        {
            throw new MedallionException(ErrorCode.ProjectFileInvalid,
                $"File sources ({string.Join(", ", selection.Files.Select(s => s.Name))}) load the files that are there, once; they have no stream to follow.\nHelp: ingest them without --continuous, or schedule a job that runs them.");
        }

        // Continuous passes follow streams and APIs; the files of file sources are loaded by a pass without --continuous.
        return IngestAsync(environment, selection with { Files = [] }, interval, cancellationToken, abort);
    }

    /// <summary>
    /// The one continuous ingestion, for the ingest command and for the scheduler's continuous jobs: follows the
    /// selected database and API sources (file sources are not followed: they are loaded by a pass that is not
    /// continuous) until <paramref name="cancellationToken"/> is cancelled (see <see cref="DatabaseSourceLoader.RunContinuousAsync"/>),
    /// and records through <paramref name="recorder"/>, then yields, each pass worth keeping (<see cref="IngestRunRecorder.IsWorthKeeping"/>).
    /// The caller owns the run the recorder writes to. Cancellation ends the sequence normally: every commit made stands.
    /// </summary>
    /// <param name="environment">The project (bronze tables live under its storage, which must be local), its engines and logs.</param>
    /// <param name="selection">What to follow.</param>
    /// <param name="interval">The time between passes, and the CDC micro-batch length.</param>
    /// <param name="recorder">Keeps the passes under the caller's run.</param>
    /// <param name="commitFence">
    /// Checked before each bronze commit (<see cref="DeltaWriter.CommitFence"/>): a scheduler refuses the commits of a
    /// stream it may no longer hold, and the sequence then ends with the fence's error, the batch and its position left
    /// uncommitted together. Null: no check.
    /// </param>
    /// <param name="cancellationToken">Stops the passes after the last commit: a CDC stream's at once (its micro-batch under way commits nothing), the others when the pass under way has committed.</param>
    /// <param name="abort">After the stop, cancels the passes under way (a stop whose grace ran out); they commit nothing. By default the stop does.</param>
    /// <exception cref="MedallionException">A table or an API failed, or the fence refused a commit; earlier commits stay, and so do their records.</exception>
    public static async IAsyncEnumerable<IngestPass> StreamAsync(
        ProjectEnvironment environment, IngestSelection selection, TimeSpan interval, IngestRunRecorder recorder, Func<CancellationToken, ValueTask>? commitFence = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default, CancellationToken abort = default)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(selection);
        ArgumentNullException.ThrowIfNull(recorder);
        using DuckDbDatabase database = environment.Engines.OpenIngestion();
        using DuckDbConnection connection = database.CreateConnection();
        await foreach (DatabaseTableResult result in DatabaseSourceLoader.RunContinuousAsync(
            environment.Project, selection.Databases, selection.Apis, environment.CreateWriter(connection, commitFence: commitFence), interval, environment.Logs, cancellationToken, abort).ConfigureAwait(false))
        {
            if (recorder.IsWorthKeeping(result))
            {
                // Recorded whatever the token says: the rows are committed, so the catalog must know the pass.
                yield return new IngestPass(result, await recorder.RecordAsync(result, CancellationToken.None).ConfigureAwait(false));
            }
        }
    }

    private static async IAsyncEnumerable<IngestPass> IngestAsync(
        ProjectEnvironment environment, IngestSelection selection, TimeSpan? interval, [EnumeratorCancellation] CancellationToken cancellationToken, CancellationToken abort)
    {
        CatalogStore catalog = await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        RunRecord run = await catalog.Runs.StartRunAsync("ingest " + string.Join(",", selection.Names), cancellationToken).ConfigureAwait(false);
        var recorder = new IngestRunRecorder(catalog, run.Id, environment.Time);
        RunStatus status = RunStatus.Failed;
        string? failure = null;
        try
        {
            IAsyncEnumerable<IngestPass> passes = interval is { } every
                ? StreamAsync(environment, selection, every, recorder, null, cancellationToken, abort)
                : LoadOnceAsync(environment, selection, recorder, cancellationToken);
            IAsyncEnumerator<IngestPass> enumerator = passes.GetAsyncEnumerator(cancellationToken);
            await using (enumerator.ConfigureAwait(false))
            {
                while (true)
                {
                    try
                    {
                        if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                    catch (MedallionException e)
                    {
                        failure = $"{e.CodeText}: {e.Message}";
                        throw;
                    }
                    catch (OperationCanceledException)
                    {
                        status = RunStatus.Cancelled;
                        throw;
                    }

                    // A caller that stops reading here has cancelled the ingest.
                    status = RunStatus.Cancelled;
                    yield return enumerator.Current;
                    status = RunStatus.Failed;
                }
            }

            status = RunStatus.Succeeded;
        }
        finally
        {
            await catalog.Runs.FinishRunAsync(run.Id, status, failure, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>One pass over every table of the selection, each recorded (whatever the token says: its rows are committed) and yielded.</summary>
    private static async IAsyncEnumerable<IngestPass> LoadOnceAsync(
        ProjectEnvironment environment, IngestSelection selection, IngestRunRecorder recorder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using DuckDbDatabase database = environment.Engines.OpenIngestion();
        using DuckDbConnection connection = database.CreateConnection();
        await foreach (DatabaseTableResult result in LoadEachAsync(environment, selection, connection, recorder.RunId, cancellationToken).ConfigureAwait(false))
        {
            yield return new IngestPass(result, await recorder.RecordAsync(result, CancellationToken.None).ConfigureAwait(false));
        }
    }

    private static async IAsyncEnumerable<DatabaseTableResult> LoadEachAsync(
        ProjectEnvironment environment, IngestSelection selection, DuckDbConnection connection, string runId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        MedallionProject project = environment.Project;
        ILoggerFactory loggerFactory = environment.Logs;
        DeltaWriter writer = environment.CreateWriter(connection);
        foreach (DatabaseSourceDefinition source in selection.Databases)
        {
            foreach (DatabaseTableResult result in await DatabaseSourceLoader.LoadAsync(project, source, writer, loggerFactory, cancellationToken).ConfigureAwait(false))
            {
                yield return result;
            }
        }

        foreach (ApiSourceDefinition source in selection.Apis)
        {
            yield return await ApiSourceLoader.LoadAsync(project, source, writer, null, loggerFactory, cancellationToken).ConfigureAwait(false);
        }

        foreach (SourceDefinition source in selection.Files)
        {
            SourceLoadResult loaded = await FileSourceLoader.LoadAsync(project, source, writer, runId, environment.Time, cancellationToken).ConfigureAwait(false);
            ILogger log = loggerFactory.CreateLogger(typeof(SourceIngestion));
            foreach (string warning in loaded.Warnings)
            {
                log.LogWarning("{Warning}", warning);
            }

            // A pass over a file source: the files it had not loaded yet, one batch each, in one commit.
            long? version = loaded.CommittedVersion
                ?? (await writer.TryGetSnapshotAsync(ProjectCatalog.TableLocation(project, source.Target), cancellationToken).ConfigureAwait(false))?.Version;
            yield return new DatabaseTableResult(source.Name, source.Path, source.Target, new IngestionResult(loaded.FilesLoaded.Count, loaded.RowsLoaded, null), version, null, CommittedVersion: loaded.CommittedVersion);
        }
    }
}
