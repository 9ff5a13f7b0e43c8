using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Engine;
using Medallion.Ingestion;
using Medallion.Ingestion.Http;
using Microsoft.Extensions.Logging;

namespace Medallion.Pipelines.Sources;

/// <summary>
/// Lands a project's HTTP API sources in bronze: the entry point for <c>medallion ingest</c>. Every page of one pass
/// is committed together, with the incremental position, in one commit of the bronze table at
/// <see cref="ProjectCatalog.TableLocation"/>; a failed pass commits nothing.
/// </summary>
public static class ApiSourceLoader
{
    /// <summary>Runs one pass over <paramref name="source"/>: a full source replaces its bronze table, an incremental one appends what is new.</summary>
    /// <param name="project">The project (bronze lives under its storage, which must be local).</param>
    /// <param name="source">One of <see cref="MedallionProject.ApiSources"/>.</param>
    /// <param name="writer">A writer of the project (<see cref="ProjectEnvironment.CreateWriter"/>): stages pages and writes Parquet on its open DuckDB connection, and commits to bronze (see <see cref="BronzeSink(DeltaWriter, string, string)"/>).</param>
    /// <param name="environment">Resolves <c>${NAME}</c> secrets; the process environment when null.</param>
    /// <param name="loggerFactory">Where the requests' retries are logged.</param>
    /// <param name="cancellationToken">Stops the pass; nothing of it is committed then.</param>
    /// <returns>The pass's result; <see cref="DatabaseTableResult.Table"/> is the URL as written (secrets as <c>${NAME}</c>).</returns>
    /// <exception cref="MedallionException">The API cannot be read (codes 8101-8104, 8106) or bronze cannot be written (or the writer's fence refused the commit); the message names the source and URL.</exception>
    public static async Task<DatabaseTableResult> LoadAsync(
        MedallionProject project, ApiSourceDefinition source, DeltaWriter writer, Func<string, string?>? environment = null,
        ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(writer);
        string location = ProjectCatalog.TableLocation(project, source.Target);
        HttpApiSourceOptions options = environment is null ? source.Options : source.Options with { Environment = environment };
        using var api = new HttpApiSource(options, loggerFactory);
        BronzeLanding landed = await IngestionRunner.LandAsync(api, writer, location, source.Name, cancellationToken).ConfigureAwait(false);
        IngestionMode mode = source.Options.IsIncremental ? IngestionMode.Incremental : IngestionMode.Full;
        return new DatabaseTableResult(source.Name, source.Options.Url, source.Target, landed.Result, landed.TableVersion, null, mode, landed.CommittedVersion);
    }
}
