using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.PgWire.Internal;
using Medallion.PgWire.Protocol;

namespace Medallion.PgWire;

/// <summary>
/// Serves the lakehouse: every client gets its own read-only <see cref="LakehouseSession"/> on one shared
/// DuckDB database, so namespaces are schemas, tables are <c>namespace.table</c> at their latest version,
/// and <c>AT (VERSION =&gt; n)</c> reads older ones. Statements that would change data, write files or
/// change DuckDB's settings are refused by the session (SQLSTATE 25006 on the wire).
/// </summary>
/// <remarks>The database stays owned by the caller; dispose it after the server has stopped.</remarks>
/// <remarks>
/// With <see cref="Access"/>, a user whose reads are restricted gets sessions on a database of their own, opened with the
/// shared database's rules (readable folders, locked configuration), whose views show only what the user may read, masked
/// and filtered (<see cref="SessionAccess"/>). It is kept while the user has sessions and the user's access stays the
/// same, and replaced for new sessions when it changes. The shared database's memory limit bounds every database
/// together: each database with sessions gets an equal share of it (see MemoryShares), so a user alone has the
/// whole limit and three users at once a third each.
/// </remarks>
public sealed class LakehouseSessionFactory : IPgSessionFactory, IDisposable
{
    /// <summary>The database name every served project also answers to.</summary>
    public const string DefaultDatabaseName = "medallion";

    private readonly DuckDbDatabase _database;
    private readonly ITableLocator _tables;
    private readonly string? _databaseName;
    private readonly Dictionary<string, UserDatabase> _userDatabases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DuckDbDatabase> _environmentDatabases = new(StringComparer.Ordinal);
    private readonly Lock _userDatabasesLock = new();
    private readonly MemoryShares _memory;

    /// <summary>Creates a factory over an open database and the tables to show in it.</summary>
    /// <param name="database">The shared database; its own tables and views are visible too.</param>
    /// <param name="tables">The lakehouse tables (<see cref="NoTables.Instance"/> to serve the database alone).</param>
    /// <param name="databaseName">
    /// The name clients must connect to (the project's name); <see cref="DefaultDatabaseName"/> is accepted as an
    /// alias. Null accepts any name.
    /// </param>
    public LakehouseSessionFactory(DuckDbDatabase database, ITableLocator tables, string? databaseName = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(tables);
        _database = database;
        _tables = tables;
        _databaseName = databaseName;
        long limit = MemoryShares.ReadLimitBytes(database);
        _memory = new MemoryShares(limit);
        _memory.Add(database, limit);
    }

    /// <summary>The memory limit of each database serving sessions now, in bytes: they add up to no more than the shared database's limit.</summary>
    internal IReadOnlyList<long> MemoryLimits => _memory.Limits;

    /// <summary>Opens the databases of restricted users (with the shared database's readable folders); <see cref="DuckDbEngines.Default"/> unless the host gives its own.</summary>
    public DuckDbEngines Engines { get; init; } = DuckDbEngines.Default;

    /// <summary>What each user may read (the project's access service answers); null serves every table unmasked to everyone who logs in.</summary>
    public SessionAccessSource? Access { get; init; }

    /// <summary>The name of the environment whose tables the factory's own locator holds; null when the server serves no environments.</summary>
    public string? DefaultEnvironment { get; init; }

    /// <summary>
    /// The tables of another environment, which a client chooses when it connects (startup parameter
    /// <c>options=-c medallion.environment=dev</c>, what psql sends for <c>PGOPTIONS</c>): null when there is no such
    /// environment. It throws a <see cref="MedallionException"/> for a name that cannot be an environment's. Null serves the
    /// default environment only. Each environment's tables are served from a database of their own (views are per
    /// database), with the same access for each user.
    /// </summary>
    public Func<string, CancellationToken, ValueTask<ITableLocator?>>? Environments { get; init; }

    /// <summary>The setting that names a session's environment.</summary>
    public const string EnvironmentSetting = "medallion.environment";

    /// <summary>
    /// The session for <paramref name="user"/>, as <see cref="OpenSessionAsync"/> opens it for a client of the SQL endpoint:
    /// for the web UI, the REST API and the shell, which act for a user without a wire connection.
    /// </summary>
    /// <param name="user">The user the session reads as.</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <returns>The session; disposing it also lets go of the user's database.</returns>
    public Task<ServedSession> OpenUserSessionAsync(string user, CancellationToken cancellationToken = default) =>
        OpenUserSessionAsync(user, null, cancellationToken);

    /// <summary>
    /// The session for <paramref name="user"/> on the tables of <paramref name="environment"/> (the default one when null), as
    /// a client of the SQL endpoint that chose it at connect gets it, with the same grants, masks and row filters.
    /// </summary>
    /// <param name="user">The user the session reads as.</param>
    /// <param name="environment">The environment whose tables the session reads; null for <see cref="DefaultEnvironment"/>.</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <returns>The session; disposing it also lets go of the user's database.</returns>
    /// <exception cref="PgWireException">An environment that does not exist (3D000, <c>MDL6403</c>) or that no name fits (22023, <c>MDL6401</c>).</exception>
    public async Task<ServedSession> OpenUserSessionAsync(string user, string? environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (environment is null || environment == DefaultEnvironment)
        {
            (LakehouseSession session, Action release) = await OpenAsync(user, cancellationToken).ConfigureAwait(false);
            return new ServedSession(session, release);
        }

        (ITableLocator tables, DuckDbDatabase shared) = await EnvironmentAsync(environment, cancellationToken).ConfigureAwait(false);
        (LakehouseSession opened, Action released) = await OpenAsync(user, environment, tables, shared, cancellationToken).ConfigureAwait(false);
        return new ServedSession(opened, released);
    }

    /// <summary>Releases the databases of restricted users; the shared database stays the caller's.</summary>
    public void Dispose()
    {
        lock (_userDatabasesLock)
        {
            foreach (UserDatabase entry in _userDatabases.Values)
            {
                entry.Stale = true;
            }

            _userDatabases.Clear();
            foreach (DuckDbDatabase database in _environmentDatabases.Values)
            {
                _memory.Remove(database);
                database.Dispose();
            }

            _environmentDatabases.Clear();
        }
    }

    /// <inheritdoc />
    public async ValueTask<ISqlSession> OpenSessionAsync(PgSessionStartup startup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startup);
        if (_databaseName is not null
            && !string.Equals(startup.Database, _databaseName, StringComparison.Ordinal)
            && !string.Equals(startup.Database, DefaultDatabaseName, StringComparison.Ordinal))
        {
            throw new PgWireException(ErrorCode.PgWireAuthenticationFailed, SqlState.InvalidCatalogName,
                $"database \"{startup.Database}\" does not exist. Help: connect to database \"{_databaseName}\" (or \"{DefaultDatabaseName}\").");
        }

        string? environment = RequestedEnvironment(startup.Parameters);
        ITableLocator tables = _tables;
        DuckDbDatabase shared = _database;
        if (environment is not null && environment != DefaultEnvironment)
        {
            (tables, shared) = await EnvironmentAsync(environment, cancellationToken).ConfigureAwait(false);
        }

        (LakehouseSession session, Action release) = await OpenAsync(startup.User, environment ?? DefaultEnvironment, tables, shared, cancellationToken).ConfigureAwait(false);
        return new Session(session, release, environment ?? DefaultEnvironment);
    }

    /// <summary>
    /// The environment a client asked for at startup: <c>-c medallion.environment=dev</c> (or <c>--medallion.environment=dev</c>)
    /// in its <c>options</c>, whose arguments are separated by spaces and escape one with a backslash, as PostgreSQL reads
    /// them; or a startup parameter of that name. Null when it asked for none.
    /// </summary>
    internal static string? RequestedEnvironment(IReadOnlyDictionary<string, string> parameters)
    {
        string? requested = parameters.GetValueOrDefault(EnvironmentSetting);
        if (!parameters.TryGetValue("options", out string? options))
        {
            return requested;
        }

        var arguments = new List<string>();
        var current = new System.Text.StringBuilder();
        for (int i = 0; i < options.Length; i++)
        {
            if (options[i] == '\\' && i + 1 < options.Length)
            {
                current.Append(options[++i]);
            }
            else if (char.IsWhiteSpace(options[i]))
            {
                if (current.Length > 0)
                {
                    arguments.Add(current.ToString());
                    current.Clear();
                }
            }
            else
            {
                current.Append(options[i]);
            }
        }

        if (current.Length > 0)
        {
            arguments.Add(current.ToString());
        }

        for (int i = 0; i < arguments.Count; i++)
        {
            string? setting = arguments[i] switch
            {
                "-c" when i + 1 < arguments.Count => arguments[++i],
                { } a when a.StartsWith("--", StringComparison.Ordinal) => a[2..],
                { } a when a.StartsWith("-c", StringComparison.Ordinal) => a[2..],
                _ => null,
            };
            int equals = setting?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            if (equals > 0 && string.Equals(setting![..equals].Replace('-', '_'), EnvironmentSetting, StringComparison.OrdinalIgnoreCase))
            {
                requested = setting[(equals + 1)..];
            }
        }

        return requested;
    }

    /// <summary>The tables of <paramref name="environment"/> and the database that serves them; an unknown or invalid name is refused, never served as the default.</summary>
    private async Task<(ITableLocator Tables, DuckDbDatabase Database)> EnvironmentAsync(string environment, CancellationToken cancellationToken)
    {
        // The name is the client's: quote it shortened and with its quotes doubled, never whole into a log or message.
        string shown = (environment.Length > 80 ? environment[..80] + "..." : environment).Replace("\"", "\"\"", StringComparison.Ordinal);
        if (Environments is null)
        {
            throw new PgWireException(ErrorCode.PgWireAuthenticationFailed, SqlState.FeatureNotSupported,
                $"environment \"{shown}\" cannot be chosen: this server serves no environments. Help: connect without {EnvironmentSetting}.");
        }

        ITableLocator? tables;
        try
        {
            tables = await Environments(environment, cancellationToken).ConfigureAwait(false);
        }
        catch (MedallionException invalid) when (invalid is not PgWireException && invalid.Kind is ErrorKind.Input)
        {
            throw new PgWireException(invalid.Code, SqlState.InvalidParameterValue,
                $"invalid value for parameter \"{EnvironmentSetting}\": \"{shown}\" ({invalid.CodeText}: {invalid.Message.Split('\n')[0].Replace(environment, shown, StringComparison.Ordinal)})", invalid);
        }

        if (tables is null)
        {
            throw new PgWireException(ErrorCode.EnvironmentNotFound, SqlState.InvalidCatalogName,
                $"environment \"{shown}\" does not exist. Help: medallion apply --env {shown} builds it; connect without {EnvironmentSetting} to read {DefaultEnvironment ?? "the default"}.");
        }

        lock (_userDatabasesLock)
        {
            if (_environmentDatabases.TryGetValue(environment, out DuckDbDatabase? open))
            {
                return (tables, open);
            }
        }

        DuckDbDatabase opened = OpenLike(_database, _memory.FloorBytes);
        lock (_userDatabasesLock)
        {
            if (_environmentDatabases.TryGetValue(environment, out DuckDbDatabase? raced))
            {
                opened.Dispose();
                return (tables, raced);
            }

            _environmentDatabases[environment] = opened;
            _memory.Add(opened, _memory.FloorBytes);
            return (tables, opened);
        }
    }

    /// <summary>Opens a session for <paramref name="user"/> on the default environment's tables; the action ends its share of its database.</summary>
    private async Task<(LakehouseSession Session, Action Release)> OpenAsync(string user, CancellationToken cancellationToken) =>
        await OpenAsync(user, DefaultEnvironment, _tables, _database, cancellationToken).ConfigureAwait(false);

    /// <summary>Opens a session for <paramref name="user"/> on <paramref name="tables"/> of <paramref name="environment"/>, served by <paramref name="sharedDatabase"/> to a user who reads everything.</summary>
    private async Task<(LakehouseSession Session, Action Release)> OpenAsync(string user, string? environment, ITableLocator tables, DuckDbDatabase sharedDatabase, CancellationToken cancellationToken)
    {
        SessionAccess? access = Access is null ? null
            : await Access(user, await tables.ListAsync(cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        if (access is null)
        {
            _memory.SessionOpened(sharedDatabase);
            try
            {
                // Lazy: a client that asks for one table (a dashboard's query) waits for that table's latest version
                // only, not every table's (requests on an object store); catalog queries bring them all up to date first.
                LakehouseSession shared = await LakehouseSession.OpenAsync(tables, sharedDatabase, readOnly: true, allowSessionStatements: false, lazy: true, cancellationToken: cancellationToken).ConfigureAwait(false);
                return (shared, () => _memory.SessionClosed(sharedDatabase));
            }
            catch
            {
                _memory.SessionClosed(sharedDatabase);
                throw;
            }
        }

        // A user's database serves one environment: its views name tables as every environment does.
        UserDatabase database = Acquire(environment is null || environment == DefaultEnvironment ? user : user + "\0" + environment, access);
        try
        {
            // Lazy for the same reason as the shared sessions; the user's grants still decide, at each statement, what it may name.
            return (await LakehouseSession.OpenAsync(tables, database.Database, database.Access, lazy: true, cancellationToken).ConfigureAwait(false), () => Release(database));
        }
        catch
        {
            Release(database);
            throw;
        }
    }

    private UserDatabase Acquire(string user, SessionAccess access)
    {
        lock (_userDatabasesLock)
        {
            if (_userDatabases.TryGetValue(user, out UserDatabase? current) && current.Access.Fingerprint == access.Fingerprint)
            {
                current.Sessions++;
                _memory.SessionOpened(current.Database);
                return current;
            }
        }

        DuckDbDatabase opened = OpenLike(_database, _memory.FloorBytes);
        try
        {
            using (DuckDbConnection connection = opened.CreateConnection())
            {
                access.Install(connection);
            }
        }
        catch
        {
            opened.Dispose();
            throw;
        }

        var created = new UserDatabase(user, opened, access) { Sessions = 1 };
        _memory.Add(opened, _memory.FloorBytes);
        _memory.SessionOpened(opened);
        lock (_userDatabasesLock)
        {
            if (_userDatabases.TryGetValue(user, out UserDatabase? previous))
            {
                previous.Stale = true;
            }

            _userDatabases[user] = created;
        }

        return created;
    }

    /// <summary>A session on a user's database ended: the database goes with its last session, and its memory to the others.</summary>
    private void Release(UserDatabase database)
    {
        lock (_userDatabasesLock)
        {
            database.Sessions--;
            if (database.Sessions > 0)
            {
                _memory.SessionClosed(database.Database);
                return;
            }

            if (_userDatabases.TryGetValue(database.User, out UserDatabase? current) && ReferenceEquals(current, database))
            {
                _userDatabases.Remove(database.User);
            }

            _memory.Remove(database.Database);
            database.Database.Dispose();
        }
    }

    /// <summary>A new in-memory database with the serving rules of <paramref name="shared"/> (the same readable folders) and <paramref name="memoryLimitBytes"/>.</summary>
    private DuckDbDatabase OpenLike(DuckDbDatabase shared, long memoryLimitBytes)
    {
        using DuckDbConnection connection = shared.CreateConnection();
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT array_to_string(current_setting('allowed_directories'), chr(1))";
        string directories = command.ExecuteScalar() as string ?? string.Empty;
        return Engines.OpenServing(null, directories.Split('\u0001', StringSplitOptions.RemoveEmptyEntries),
            memoryLimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture) + "B");
    }

    private sealed class UserDatabase(string user, DuckDbDatabase database, SessionAccess access)
    {
        public string User { get; } = user;

        public DuckDbDatabase Database { get; } = database;

        public SessionAccess Access { get; } = access;

        public int Sessions { get; set; }

        public bool Stale { get; set; }
    }

    private sealed class Session(LakehouseSession session, Action? release, string? environment = null) : ISqlSession
    {
        public string? Environment => environment;

        public DuckDbConnection Connection => session.Connection;

        public async ValueTask<string> BindAsync(string sql, CancellationToken cancellationToken) =>
            await session.BindAsync(sql, cancellationToken).ConfigureAwait(false);

        public async ValueTask<IReadOnlyList<LakehouseTable>> ListTablesAsync(CancellationToken cancellationToken) =>
            await session.ListTablesAsync(cancellationToken).ConfigureAwait(false);

        public StatementReads LastReads => session.LastReads;

        public async ValueTask DisposeAsync()
        {
            await session.DisposeAsync().ConfigureAwait(false);
            release?.Invoke();
        }
    }
}
