using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Pipelines;

/// <summary>
/// One project with what its work runs on, built once by the host (a command of the CLI, the server) and passed down:
/// the project's definitions, its stores, the DuckDB engines, the catalog (opened once, when first needed) and writers
/// configured for the project's stores and logs. Nothing below the host opens a catalog or picks DuckDB's settings of
/// its own: two projects in one process each have theirs, and one project's commands, runs, pages and sessions share one
/// catalog instead of opening the file again for each.
/// </summary>
/// <remarks>
/// The environment owns the catalog it opened and closes it when disposed. A host that reloads the project's files keeps
/// the environment's catalog and engines for the new definitions (<see cref="WithProject"/>).
/// </remarks>
public sealed class ProjectEnvironment : IAsyncDisposable
{
    private readonly SemaphoreSlim _opening = new(1, 1);
    private readonly ProjectEnvironment? _owner;
    private CatalogStore? _catalog;
    private bool _disposed;

    /// <summary>Creates the environment of a loaded project; nothing is opened until it is needed.</summary>
    /// <param name="project">The project's definitions (<see cref="MedallionProject.LoadAsync"/>).</param>
    /// <param name="options">The host's clock, logs and engines; defaults when null.</param>
    public ProjectEnvironment(MedallionProject project, ProjectEnvironmentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(project);
        options ??= new ProjectEnvironmentOptions();
        Project = project;
        Time = options.Time ?? TimeProvider.System;
        Logs = options.Logs ?? NullLoggerFactory.Instance;
        Engines = options.Engines ?? DuckDbEngines.Default;
    }

    private ProjectEnvironment(ProjectEnvironment owner, MedallionProject project)
    {
        _owner = owner;
        Project = project;
        Time = owner.Time;
        Logs = owner.Logs;
        Engines = owner.Engines;
    }

    /// <summary>Loads the project in <paramref name="directory"/> and creates its environment.</summary>
    /// <param name="directory">The project's directory (holding <c>medallion.yml</c>).</param>
    /// <param name="options">The host's clock, logs and engines; defaults when null.</param>
    /// <param name="cancellationToken">Stops the loading.</param>
    /// <exception cref="MedallionException">The project does not load (see <see cref="MedallionProject.LoadAsync"/>).</exception>
    public static async Task<ProjectEnvironment> LoadAsync(string directory, ProjectEnvironmentOptions? options = null, CancellationToken cancellationToken = default) =>
        new(await MedallionProject.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false), options);

    /// <summary>The project's definitions.</summary>
    public MedallionProject Project { get; }

    /// <summary>Opens the project's stores and tables (its <c>storage_options</c> and <c>cache</c>).</summary>
    public StorageResolver Stores => Project.Stores;

    /// <summary>Opens the DuckDB databases the project's work runs on.</summary>
    public DuckDbEngines Engines { get; }

    /// <summary>The host's clock: the catalog's timestamps, the runs' times.</summary>
    public TimeProvider Time { get; }

    /// <summary>Where every layer logs: the Delta writer's retries, the catalog's slow writes, the stores' failed requests.</summary>
    public ILoggerFactory Logs { get; }

    /// <summary>
    /// Where the project's catalog is: the full path of its SQLite file, or its PostgreSQL database's URL as written
    /// (with its password: print <see cref="CatalogStore.Path"/> instead).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.RunStorageUnsupported"/> when the catalog is a path on an object store.</exception>
    private string CatalogLocation
    {
        get
        {
            if (CatalogStore.IsDatabaseUrl(Project.Catalog))
            {
                return Project.Catalog;
            }

            string path = Project.Resolve(Project.Catalog);
            return StorageResolver.IsUri(path)
                ? throw new MedallionException(ErrorCode.RunStorageUnsupported,
                    $"The project's catalog is '{Project.Catalog}'; a catalog is a SQLite file on a local disk or a PostgreSQL database, not a path on an object store.\nHelp: remove 'catalog' from {MedallionProject.FileName} to use .medallion/catalog.db, or write a postgres:// URL to share one catalog between servers.")
                : Path.GetFullPath(path);
        }
    }

    /// <summary>
    /// The project's catalog, opened (created and migrated when missing) on the first call; every later call answers the
    /// same store. A failed open is not remembered: the next call tries again.
    /// </summary>
    /// <param name="cancellationToken">Stops the opening.</param>
    /// <exception cref="MedallionException">The catalog is not a local file (<see cref="ErrorCode.RunStorageUnsupported"/>) or does not open (<see cref="ErrorCode.CatalogOpenFailed"/> and the catalog's other codes).</exception>
    /// <exception cref="ObjectDisposedException">The environment was disposed.</exception>
    public async ValueTask<CatalogStore> GetCatalogAsync(CancellationToken cancellationToken = default)
    {
        if (_owner is not null)
        {
            return await _owner.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Volatile.Read(ref _catalog) is { } open)
        {
            return open;
        }

        string location = CatalogLocation;
        await _opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _catalog ??= await CatalogStore.OpenAsync(location, Time, Logs, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>
    /// The project's catalog when it has one; null when its SQLite file does not exist yet (a project never run), so that
    /// browsing a project creates nothing. A catalog in PostgreSQL is always opened: its database was made for it.
    /// </summary>
    /// <param name="cancellationToken">Stops the opening.</param>
    /// <exception cref="MedallionException">As <see cref="GetCatalogAsync"/>.</exception>
    public async ValueTask<CatalogStore?> FindCatalogAsync(CancellationToken cancellationToken = default)
    {
        ProjectEnvironment root = _owner ?? this;
        string location = CatalogLocation;
        return Volatile.Read(ref root._catalog) is not null || CatalogStore.IsDatabaseUrl(location) || File.Exists(location)
            ? await GetCatalogAsync(cancellationToken).ConfigureAwait(false)
            : null;
    }

    /// <summary>
    /// The project's tables as <paramref name="environment"/> serves them to SQL sessions and readers: each model at the
    /// physical table the environment points it at (<see cref="EnvironmentTableLocator"/>, through <see cref="ModelTables"/>),
    /// or every table at its own folder when the project has no catalog yet (never run, so no environment points anywhere).
    /// </summary>
    /// <param name="environment">The environment (<c>prod</c> by default).</param>
    /// <param name="catalogUnavailable">
    /// When given, a catalog out of reach (<see cref="ErrorKind.Unavailable"/>: its disk full, its server down) does not stop
    /// <c>prod</c>'s tables from being read: reading the lake needs no catalog, so each is read from its own folder, which is
    /// prod's unless a promotion pointed prod elsewhere, and this is told why, to warn whoever reads. Null lets the error
    /// stand; another environment is never read without its catalog (its tables are known only there).
    /// </param>
    /// <param name="cancellationToken">Stops the opening of the catalog.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNameInvalid"/> for a name that is no environment's; the catalog's own errors (see <see cref="GetCatalogAsync"/>).</exception>
    public async Task<ITableLocator> GetTableLocatorAsync(string environment = EnvironmentStore.Production, Action<MedallionException>? catalogUnavailable = null, CancellationToken cancellationToken = default)
    {
        EnvironmentStore.CheckName(environment);
        CatalogStore? catalog;
        try
        {
            catalog = await FindCatalogAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException e) when (catalogUnavailable is not null && environment == EnvironmentStore.Production && e.Kind is ErrorKind.Unavailable)
        {
            catalogUnavailable(e);
            catalog = null;
        }

        return catalog is null ? ProjectCatalog.Tables(Project) : new EnvironmentTableLocator(Project, catalog, environment);
    }

    /// <summary>A Delta writer on <paramref name="connection"/> that opens the project's stores and logs to its logs.</summary>
    /// <param name="connection">The DuckDB connection the writer stages and writes data on.</param>
    /// <param name="snapshots">The latest snapshots shared with other writers (<see cref="DeltaWriter.Snapshots"/>); the writer's own when null.</param>
    /// <param name="timeZone">The session zone the writer sets (<see cref="DeltaWriter.TimeZone"/>); null keeps the connection's.</param>
    /// <param name="commitFence">Checked before each commit (<see cref="DeltaWriter.CommitFence"/>); none when null.</param>
    /// <param name="commitJob">The run the commits are made for (<see cref="DeltaWriter.CommitJob"/>); none when null.</param>
    public DeltaWriter CreateWriter(
        DuckDbConnection connection, DeltaSnapshotCache? snapshots = null, string? timeZone = "UTC", Func<CancellationToken, ValueTask>? commitFence = null, Delta.Actions.CommitJob? commitJob = null) =>
        new(connection) { Stores = Stores, LoggerFactory = Logs, Snapshots = snapshots ?? new DeltaSnapshotCache(), TimeZone = timeZone, CommitFence = commitFence, CommitJob = commitJob };

    /// <summary>
    /// The environment of the same project reloaded from its files: new definitions over this environment's catalog,
    /// engines, clock and logs, which stay this environment's to close.
    /// </summary>
    /// <param name="project">The reloaded definitions.</param>
    public ProjectEnvironment WithProject(MedallionProject project)
    {
        ArgumentNullException.ThrowIfNull(project);
        return new ProjectEnvironment(_owner ?? this, project);
    }

    /// <summary>Closes the catalog this environment opened; an environment made by <see cref="WithProject"/> closes nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_owner is not null || _disposed)
        {
            return;
        }

        await _opening.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_catalog is not null)
            {
                await _catalog.DisposeAsync().ConfigureAwait(false);
                _catalog = null;
            }
        }
        finally
        {
            _opening.Release();
        }
    }
}

/// <summary>What a host gives the environments of its projects.</summary>
public sealed record ProjectEnvironmentOptions
{
    /// <summary>The clock of the catalog's timestamps and the runs; the system clock when null.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>Where the layers log; nowhere when null.</summary>
    public ILoggerFactory? Logs { get; init; }

    /// <summary>The DuckDB engines; <see cref="DuckDbEngines.Default"/> when null.</summary>
    public DuckDbEngines? Engines { get; init; }
}
