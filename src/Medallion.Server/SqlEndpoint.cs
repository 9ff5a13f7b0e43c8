using System;
using System.Collections.Generic;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.PgWire;
using Medallion.Platform.Access;
using Medallion.Platform.Audit;
using Medallion.Pipelines;

namespace Medallion.Server;

/// <summary>How the PostgreSQL-wire SQL endpoint listens and whom it lets in.</summary>
public sealed record SqlEndpointOptions
{
    /// <summary>The address to listen on.</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The TCP port; 0 picks a free one.</summary>
    public int Port { get; init; } = 5433;

    /// <summary>A file of <c>name:SCRAM-SHA-256$...</c> lines to use instead of the project catalog's users.</summary>
    public string? UsersFile { get; init; }

    /// <summary>Outside a project: a DuckDB database file to serve (in-memory when null).</summary>
    public string? DatabaseFile { get; init; }

    /// <summary>Let clients on this machine in without a password.</summary>
    public bool TrustLoopback { get; init; }

    /// <summary>The certificate to offer TLS with, or null for unencrypted connections only.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Refuse clients that do not switch to TLS.</summary>
    public bool RequireTls { get; init; }

    /// <summary>Most clients connected at once.</summary>
    public int MaxConnections { get; init; } = 100;

    /// <summary>Memory all running queries share (DuckDB's <c>memory_limit</c>), or null for DuckDB's default.</summary>
    public string? MemoryLimit { get; init; }

    /// <summary>Statements running longer than this are cancelled; null for no limit.</summary>
    public TimeSpan? StatementTimeout { get; init; }

    /// <summary>Most clients from one address logging in at once; more wait their turn (see <see cref="PgWireServerOptions.MaxStartupsPerAddress"/>).</summary>
    public int MaxStartupsPerAddress { get; init; } = 10;

    /// <summary>Most sessions of one user at once; null for no cap.</summary>
    public int? MaxSessionsPerUser { get; init; }

    /// <summary>Places of <see cref="MaxConnections"/> kept for admins.</summary>
    public int ReservedConnections { get; init; }

    /// <summary>Where the endpoint logs (refused connections and who floods, failed logins, warnings at start); nowhere when null.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? Logs { get; init; }
}

/// <summary>
/// The read-only SQL endpoint over a project's lakehouse (or a DuckDB file outside a project): one DuckDB database
/// shared by the sessions, the project's tables located through its catalog, and its users as logins. What
/// <c>medallion serve</c> runs alone and <c>medallion server</c> runs beside the scheduler.
/// </summary>
public sealed class SqlEndpoint : IAsyncDisposable
{
    private readonly PgWireServer _server;
    private readonly DuckDbDatabase _database;
    private readonly LakehouseSessionFactory _sessions;
    private readonly AuditLog? _ownedAudit;

    private SqlEndpoint(PgWireServer server, DuckDbDatabase database, LakehouseSessionFactory sessions, AuditLog? ownedAudit, string description)
    {
        _server = server;
        _sessions = sessions;
        _database = database;
        _ownedAudit = ownedAudit;
        Description = description;
    }

    /// <summary>What is served, for the start-up line: the project and the database names clients may ask for, or the DuckDB file.</summary>
    public string Description { get; }

    /// <summary>The port the endpoint listens on.</summary>
    public int Port => _server.Port;

    /// <summary>
    /// The endpoint's sessions when they read under the catalog's grants, for the server's other surfaces that run SQL
    /// for a user (the web UI's SQL page): reading through them keeps every served query under one memory limit. Null
    /// when the endpoint lets every login read everything (a users file, or no project).
    /// </summary>
    internal LakehouseSessionFactory? GovernedSessions => _sessions.Access is null ? null : _sessions;

    /// <summary>Clients connected now.</summary>
    public int ConnectionCount => _server.ConnectionCount;

    /// <summary>Opens what the endpoint serves and starts listening.</summary>
    /// <param name="environment">The host's environment of the project whose lakehouse is served (its catalog is read and left open), or null to serve <see cref="SqlEndpointOptions.DatabaseFile"/>.</param>
    /// <param name="options">How to listen and whom to let in.</param>
    /// <param name="audit">
    /// Where a project's statements are recorded; null opens the project's own audit (with its retention), owned by
    /// the endpoint. Statements outside a project are not audited.
    /// </param>
    /// <param name="logins">
    /// The gate of password checks the endpoint shares with the server's other surfaces; null makes one of its own that
    /// audits failed logins to <paramref name="audit"/>.
    /// </param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.PgWireStartFailed"/> when the port cannot be bound.</exception>
    public static async Task<SqlEndpoint> StartAsync(ProjectEnvironment? environment, SqlEndpointOptions options, AuditLog? audit = null, LoginGuard? logins = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        MedallionProject? project = environment?.Project;
        AuditLog? ownedAudit = project is not null && audit is null ? AuditLog.Open(project, new AuditOptions { Retention = project.Audit.Retention }) : null;
        audit ??= ownedAudit;
        logins ??= CreateLogins(audit, options.Logs);

        CatalogStore? catalog = environment is null || options.UsersFile is not null ? null : await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
        DuckDbDatabase? database = null;
        LakehouseSessionFactory? factory = null;
        try
        {
            IPgUserStore? users = options.UsersFile is not null ? await PgUserStore.LoadAsync(options.UsersFile, cancellationToken).ConfigureAwait(false)
                : catalog is not null ? new CatalogUserStore(catalog)
                : null;
            database = OpenServingDatabase(environment, options.DatabaseFile, options.MemoryLimit);
            // With a users file the endpoint keeps no catalog of its own, yet reads each table where prod points it.
            ITableLocator tables = project is null ? NoTables.Instance
                : catalog is not null ? ProjectTables(project, catalog)
                : await environment!.GetTableLocatorAsync(cancellationToken: cancellationToken).ConfigureAwait(false);

            // Grants apply to the catalog's users, as the project's access service reads them; with a users file there are no
            // grants, and every user reads everything.
            factory = new LakehouseSessionFactory(database, tables, project?.Name)
            {
                Engines = environment?.Engines ?? DuckDbEngines.Default,
                Access = catalog is null ? null : new AccessService(catalog, audit!, token => Platform.Lakehouse.OpenAsync(environment!, cancellationToken: token)).SessionAccessAsync,
                DefaultEnvironment = project is null ? null : EnvironmentStore.Production,
                Environments = project is null || catalog is null ? null : (name, token) => EnvironmentTablesAsync(project, catalog, name, token),
            };
            var server = new PgWireServer(new PgWireServerOptions
            {
                Address = options.Address,
                Port = options.Port,
                SessionFactory = factory,
                UserStore = users,
                TrustLoopback = options.TrustLoopback,
                ServerCertificate = options.Certificate,
                RequireTls = options.RequireTls,
                MaxConnections = options.MaxConnections,
                StatementTimeout = options.StatementTimeout,
                Logins = logins,
                MaxStartupsPerAddress = options.MaxStartupsPerAddress,
                MaxSessionsPerUser = options.MaxSessionsPerUser,
                ReservedConnections = options.ReservedConnections,
                LoggerFactory = options.Logs,
                StatementCompleted = audit is null ? null : (statement, token) => audit.RecordAsync(ToAuditEvent(statement), token),
            });
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
            string description = project is null ? database.DataSource : $"project {project.Name} (database \"{project.Name}\" or \"{LakehouseSessionFactory.DefaultDatabaseName}\")";
            return new SqlEndpoint(server, database, factory, ownedAudit, description);
        }
        catch
        {
            factory?.Dispose();
            database?.Dispose();
            if (ownedAudit is not null)
            {
                await ownedAudit.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>A statement of the SQL endpoint as an audit event (channel <c>sql</c>, client address and port).</summary>
    internal static AuditEvent ToAuditEvent(PgStatementRecord statement) =>
        AuditEvent.Statement(statement.User, statement.RemoteEndPoint?.ToString() ?? "unknown", "sql", statement.Text) with
        {
            At = statement.StartedAt,
            Tables = statement.Reads.Tables,
            Columns = statement.Reads.Columns,
            Rows = statement.Rows,
            Duration = statement.Duration,
            Outcome = statement.Outcome,
            ErrorCode = statement.SqlState,
            ErrorMessage = statement.ErrorMessage,
        };

    /// <summary>
    /// The gate of password checks of a server or endpoint: its failures are logged (category <c>Medallion.Logins</c>)
    /// and audited as <c>login</c> events (when there is an audit).
    /// </summary>
    internal static LoginGuard CreateLogins(AuditLog? audit, Microsoft.Extensions.Logging.ILoggerFactory? logs) =>
        new(new LoginGuardOptions { Failed = audit is null ? null : (failure, token) => audit.RecordAsync(ToAuditEvent(failure), token) },
            logger: logs?.CreateLogger("Medallion.Logins"));

    /// <summary>A failed login as an audit event (kind and action <c>login</c>, the surface as channel, client address and port).</summary>
    internal static AuditEvent ToAuditEvent(LoginFailure failure) =>
        AuditEvent.FailedLogin(failure.Account, failure.Client?.ToString() ?? "unknown", failure.Surface,
            ErrorCodes.Format(failure.Throttled ? ErrorCode.LoginThrottled : ErrorCode.PgWireAuthenticationFailed), failure.Reason) with
        {
            At = failure.At,
        };

    /// <summary>
    /// A database that serves the lakehouse of the project of <paramref name="environment"/> under the SQL endpoint's rules (reads only its
    /// files, configuration locked): the endpoint's and the web UI's SQL page's.
    /// </summary>
    internal static DuckDbDatabase OpenServingDatabase(ProjectEnvironment? environment, string? databaseFile, string? memoryLimit) =>
        (environment?.Engines ?? DuckDbEngines.Default).OpenServing(databaseFile, environment is null ? [] : ProjectCatalog.ServingDirectories(environment.Project), memoryLimit);

    /// <summary>
    /// The tables of a project's storage, located through its catalog: each model at the table
    /// <paramref name="environment"/> points it at (<see cref="EnvironmentTableLocator"/>).
    /// </summary>
    internal static ITableLocator ProjectTables(MedallionProject project, CatalogStore catalog, string environment = EnvironmentStore.Production) =>
        new CatalogTableLocator(new EnvironmentTableLocator(project, catalog, environment), catalog);

    /// <summary>
    /// The tables of environment <paramref name="environment"/> as <see cref="ProjectTables"/> serves them, for a client
    /// that chose it; null when the catalog knows no such environment (prod always exists).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNameInvalid"/> for a name that cannot be an environment's.</exception>
    internal static async ValueTask<ITableLocator?> EnvironmentTablesAsync(MedallionProject project, CatalogStore catalog, string environment, CancellationToken cancellationToken)
    {
        return await catalog.Environments.ExistsAsync(environment, cancellationToken).ConfigureAwait(false)
            ? ProjectTables(project, catalog, environment)
            : null;
    }

    /// <summary>Stops accepting clients and closes the connected ones.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _server.StopAsync(cancellationToken);

    /// <summary>Stops the endpoint and releases its database (the catalog stays the host's).</summary>
    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        _sessions.Dispose();
        // After the last client: every statement is in the queue, and the audit writes it before it closes.
        if (_ownedAudit is not null)
        {
            await _ownedAudit.DisposeAsync().ConfigureAwait(false);
        }

        _database.Dispose();
    }
}
