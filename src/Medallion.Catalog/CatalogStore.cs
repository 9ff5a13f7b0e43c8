using System;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Medallion.Catalog;

/// <summary>
/// The metastore: namespaces, tables, columns with docs and classification, schema history per
/// version, runs and model runs, quality results, and lineage edges. By default it is a SQLite file
/// under the project's <c>.medallion/catalog.db</c>; several servers share one in a PostgreSQL database.
/// </summary>
/// <remarks>
/// <para>Guarantees: the schema is migrated forward on open, one migration per transaction, and the
/// applied versions are listed in the <c>schema_version</c> table; a catalog written by a newer
/// Medallion is refused rather than guessed at. Every method that writes several rows does it in one
/// transaction, so readers never see half of a column list or lineage set.</para>
/// <para>The store is safe to use from several threads: each read takes its own pooled connection,
/// and SQLite's write-ahead log lets readers run beside the single writer. Writes of every store of this
/// process open on one file queue for that file's one writer, which commits those waiting together; a
/// write method returns once its write is committed.</para>
/// </remarks>
public sealed class CatalogStore : IAsyncDisposable
{
    private readonly CatalogDatabase _db;

    private CatalogStore(CatalogDatabase db, int openedAtVersion)
    {
        _db = db;
        OpenedAtVersion = openedAtVersion;
        Tables = new TableCatalog(db);
        Identity = new IdentityStore(db);
        Access = new AccessStore(db, Tables, Identity);
        Runs = new RunStore(db, Tables);
        Scheduler = new SchedulerStore(db);
        Servers = new ServerStore(db);
        Quality = new QualityStore(db);
        Docs = new DocEditStore(db);
        SavedQueries = new SavedQueryStore(db);
        Environments = new EnvironmentStore(db);
    }

    /// <summary>The catalog's database, for what works across its stores (<see cref="CatalogCopy"/>).</summary>
    internal CatalogDatabase Database => _db;

    /// <summary>The default of <see cref="SlowWriteThreshold"/>: one second.</summary>
    public static readonly TimeSpan DefaultSlowWriteThreshold = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A write that takes this long or longer, from its call until its transaction committed, is logged at Warning (event
    /// 16901, naming the write): runs and the scheduler wait on catalog writes, so a slow disk or a lock held by another
    /// process shows in the log. Default <see cref="DefaultSlowWriteThreshold"/>.
    /// </summary>
    public TimeSpan SlowWriteThreshold
    {
        get => _db.SlowWriteThreshold;
        set => _db.SlowWriteThreshold = value;
    }

    /// <summary>Where the catalog is: the SQLite file's full path, or the PostgreSQL database as <c>postgres://user@host/db</c> (never its password).</summary>
    public string Path => _db.Location;

    /// <summary>Namespaces, tables, columns, table versions and lineage.</summary>
    public TableCatalog Tables { get; }

    /// <summary>Users, API tokens and the record of administrative actions.</summary>
    public IdentityStore Identity { get; }

    /// <summary>Roles, grants, masks, row filters and declared access.</summary>
    public AccessStore Access { get; }

    /// <summary>Runs, their attempts, logs and outcomes, the run queue, and pruning.</summary>
    public RunStore Runs { get; }

    /// <summary>Job states, backfills and the scheduler's lease.</summary>
    public SchedulerStore Scheduler { get; }

    /// <summary>The servers on this catalog and their heartbeats.</summary>
    public ServerStore Servers { get; }

    /// <summary>Quality results of the models' rules, and the alerts' states.</summary>
    public QualityStore Quality { get; }

    /// <summary>Docs edited in the catalog over the project files' (descriptions, owners, tags), with their history.</summary>
    public DocEditStore Docs { get; }

    /// <summary>The SQL queries users saved on the server, each theirs or shared with every signed-in user.</summary>
    public SavedQueryStore SavedQueries { get; }

    /// <summary>What each environment last built of each model, and the lock that serializes applies of plans to one environment.</summary>
    public EnvironmentStore Environments { get; }

    /// <summary>The catalog file of a project: <c>&lt;project&gt;/.medallion/catalog.db</c>.</summary>
    public static string DefaultPath(string projectDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(projectDirectory);
        return System.IO.Path.Combine(projectDirectory, ".medallion", "catalog.db");
    }

    /// <summary>
    /// Opens (creating when missing) the catalog at <paramref name="location"/> and migrates its schema to the latest
    /// version.
    /// </summary>
    /// <remarks>
    /// A SQLite catalog holds password verifiers, so on Linux and macOS a new file is created readable by its owner only
    /// (0600, and so are SQLite's <c>-wal</c>/<c>-shm</c> files), in a folder only its owner may enter (0700) when that
    /// folder is new. An existing catalog loses others' access on open, and its group's unless the group may write to
    /// it (a catalog shared with a team on purpose).
    /// </remarks>
    /// <param name="location">A SQLite file (its directory is created when missing), or a PostgreSQL database as a <c>postgres://</c> URL (see <see cref="IsDatabaseUrl"/>).</param>
    /// <param name="timeProvider">The clock for created/updated timestamps; the system clock when null.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.CatalogLocationInvalid"/> when a URL does not read;
    /// <see cref="ErrorCode.CatalogOpenFailed"/> when the catalog cannot be opened or migrated;
    /// <see cref="ErrorCode.CatalogSchemaTooNew"/> when a newer Medallion wrote it.
    /// </exception>
    public static Task<CatalogStore> OpenAsync(string location, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default) =>
        OpenAsync(location, timeProvider, null, cancellationToken);

    /// <summary>
    /// Opens (creating when missing) the catalog at <paramref name="location"/> and migrates its schema to the latest
    /// version, logging slow writes (<see cref="SlowWriteThreshold"/>) to <paramref name="loggerFactory"/>.
    /// </summary>
    /// <param name="location">A SQLite file (its directory is created when missing), or a PostgreSQL database as a <c>postgres://</c> URL.</param>
    /// <param name="timeProvider">The clock for created/updated timestamps; the system clock when null.</param>
    /// <param name="loggerFactory">Where the store logs; none when null.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="MedallionException">As <see cref="OpenAsync(string, TimeProvider?, CancellationToken)"/>.</exception>
    public static async Task<CatalogStore> OpenAsync(string location, TimeProvider? timeProvider, ILoggerFactory? loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        CatalogDialect dialect = IsDatabaseUrl(location) ? PostgresCatalogDialect.FromUrl(location) : new SqliteCatalogDialect(System.IO.Path.GetFullPath(location));
        var db = new CatalogDatabase(dialect, timeProvider ?? TimeProvider.System, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CatalogStore>());
        int openedAtVersion;
        try
        {
            dialect.PrepareStorage();
            openedAtVersion = await db.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (dialect.OpenFailed(e) is { } failed)
        {
            throw failed;
        }

        return new CatalogStore(db, openedAtVersion);
    }

    /// <summary>
    /// Whether <paramref name="location"/> names a catalog on a database server (a <c>postgres://</c> or <c>mysql://</c>
    /// URL, the latter refused on open) rather than a SQLite file.
    /// </summary>
    public static bool IsDatabaseUrl(string location) => DatabaseUrl.TypeOf(location) is not null;

    /// <summary>The schema version the catalog was at when this store opened it, before its migrations (0 for a new catalog).</summary>
    public int OpenedAtVersion { get; }

    /// <summary>The schema version this Medallion migrates a catalog to.</summary>
    public static int LatestSchemaVersion => CatalogSchema.LatestVersion;

    /// <summary>The schema version the catalog is at.</summary>
    public Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken = default) => _db.GetSchemaVersionAsync(cancellationToken);

    /// <summary>Releases the pooled connections to the catalog file.</summary>
    public ValueTask DisposeAsync()
    {
        _db.Dialect.ClearPool();
        return ValueTask.CompletedTask;
    }
}
