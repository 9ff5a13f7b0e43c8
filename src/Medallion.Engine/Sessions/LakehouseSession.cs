using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.DuckDb;
using Medallion.Engine.Scanning;

namespace Medallion.Engine.Sessions;

/// <summary>
/// A SQL session over the lakehouse: every table is visible as <c>namespace.table</c> at its latest
/// version (checked on each query), and DuckDB's time-travel syntax reads older ones:
/// <c>FROM silver.orders AT (VERSION =&gt; 3)</c>, <c>AT (TIMESTAMP =&gt; TIMESTAMP '2026-01-01')</c>.
/// </summary>
/// <remarks>
/// Table references are found with DuckDB's own parser (<c>json_serialize_sql</c>); references with
/// an <c>AT</c> clause are pointed at a view of that version, local to this session's connection.
/// Sessions are read-only by default: statements that would change data or write files are refused
/// before they run. One session serves one caller at a time; open one per concurrent user on a shared
/// <see cref="DuckDbDatabase"/>.
/// </remarks>
public sealed class LakehouseSession : IAsyncDisposable
{
    /// <summary>Schemas DuckDB itself holds, which a query names for the catalog it emulates, never for a lakehouse table.</summary>
    private static readonly HashSet<string> s_engineSchemas = new(["pg_catalog", "information_schema"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// How the comment of every view that shows a lakehouse table starts (<c>Delta table gold.orders, version 3</c>):
    /// catalog emulation tells tables from plain views by it, and tools that show comments describe the table with it.
    /// </summary>
    public const string ViewCommentPrefix = "Delta table ";

    private readonly DuckDbDatabase _database;
    private readonly bool _ownsDatabase;
    private readonly ITableLocator _locator;
    private readonly DuckDbConnection _connection;
    private readonly DuckDbConnection _metadata;
    private readonly LakehouseViews _views;
    private readonly HashSet<string> _timeTravelViews = new(StringComparer.Ordinal);
    private readonly SessionAccess? _access;
    private bool _metadataViewsInstalled;
    // A lazy session has not yet brought every table up to date; a statement naming no lakehouse table does it first.
    private bool _refreshPending;
    // Whether the statement being bound reads something other than lakehouse tables named namespace.table.
    private bool _readsOtherThanTables;
    private bool _disposed;

    private LakehouseSession(DuckDbDatabase database, bool ownsDatabase, ITableLocator locator, SessionAccess? access = null)
    {
        _database = database;
        _ownsDatabase = ownsDatabase;
        _locator = locator;
        _access = access;
        _connection = database.CreateConnection();
        _metadata = database.CreateConnection();
        _views = LakehouseViews.For(database, access);
    }

    /// <summary>What the session's user may read, or null when the session reads every table unmasked.</summary>
    public SessionAccess? Access => _access;

    /// <summary>The connection queries run on, for callers that need DuckDB directly (its tables are the session's).</summary>
    public DuckDbConnection Connection => _connection;

    /// <summary>
    /// What the SQL last given to <see cref="BindAsync"/> (or <see cref="ExecuteReaderAsync"/>) reads, for the audit: its
    /// lakehouse tables and the columns it names. <see cref="StatementReads.None"/> until a statement is bound, and after
    /// one that was refused.
    /// </summary>
    public StatementReads LastReads { get; private set; } = StatementReads.None;

    /// <summary>Whether statements that change data are refused (the default).</summary>
    public bool ReadOnly { get; init; } = true;

    /// <summary>
    /// Whether a read-only session also accepts DuckDB's own session statements (SET, PRAGMA, CALL,
    /// PREPARE/EXECUTE, transactions), as the interactive shell does. Sessions that serve remote clients
    /// on a shared database turn this off: DuckDB settings are database-wide, so one client's SET would
    /// change every other client's session.
    /// </summary>
    public bool AllowsSessionStatements { get; init; } = true;

    /// <summary>
    /// Opens a session. With no <paramref name="database"/>, the session has a private in-memory
    /// DuckDB database; pass one to share views and memory among sessions.
    /// </summary>
    /// <param name="locator">Where the tables are.</param>
    /// <param name="database">A database to share, or null for a private in-memory one (<see cref="DuckDbEngines.OpenWork"/>).</param>
    /// <param name="readOnly">Refuse statements that change data (<see cref="ReadOnly"/>).</param>
    /// <param name="allowSessionStatements">Accept DuckDB's SET, PRAGMA, CALL, ... in a read-only session (<see cref="AllowsSessionStatements"/>).</param>
    /// <param name="lazy">
    /// Load a table's latest version only when a statement reads it by name, instead of every table's at open: for a
    /// session that runs one query over a large lake (each table costs requests on an object store). A statement that
    /// reads anything else (catalog views, <c>SHOW</c>, <c>DESCRIBE</c>, an unqualified name) first brings every table
    /// up to date, once.
    /// </param>
    /// <param name="engines">Opens the session's private database when none is shared; <see cref="DuckDbEngines.Default"/> when null.</param>
    /// <param name="cancellationToken">Stops loading the tables' latest versions.</param>
    public static async Task<LakehouseSession> OpenAsync(
        ITableLocator locator, DuckDbDatabase? database = null, bool readOnly = true, bool allowSessionStatements = true, bool lazy = false, DuckDbEngines? engines = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locator);
        var session = new LakehouseSession(database ?? (engines ?? DuckDbEngines.Default).OpenWork(), ownsDatabase: database is null, locator)
        {
            ReadOnly = readOnly,
            AllowsSessionStatements = allowSessionStatements,
        };
        return await ReadyAsync(session, lazy, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a session for a user whose reads are restricted by <paramref name="access"/>: read-only, no session
    /// statements, no file reads, and only the tables, columns and rows the user may read, masked as the user must see them.
    /// </summary>
    /// <param name="locator">Where every table is (tables the user may not read are refused by name, never shown).</param>
    /// <param name="database">The user's own database (see <see cref="SessionAccess"/>); its views are made for <paramref name="access"/>.</param>
    /// <param name="access">What the user may read.</param>
    /// <param name="lazy">Load a table's latest version only when a statement reads it by name, as for the other overload's <c>lazy</c>.</param>
    /// <param name="cancellationToken">Stops loading the tables' latest versions.</param>
    public static async Task<LakehouseSession> OpenAsync(ITableLocator locator, DuckDbDatabase database, SessionAccess access, bool lazy = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(locator);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(access);
        var session = new LakehouseSession(database, ownsDatabase: false, locator, access) { ReadOnly = true, AllowsSessionStatements = false };
        return await ReadyAsync(session, lazy, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A new session, its tables loaded now or (<paramref name="lazy"/>) when statements need them; disposed when loading fails.</summary>
    private static async Task<LakehouseSession> ReadyAsync(LakehouseSession session, bool lazy, CancellationToken cancellationToken)
    {
        if (lazy)
        {
            session._refreshPending = true;
            return session;
        }

        try
        {
            await session.RefreshAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Brings the view of every table to its latest version (new tables appear, as in <c>\d</c>).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        _refreshPending = false;
        await _views.EnsureLatestAsync(await ListTablesAsync(cancellationToken).ConfigureAwait(false), _metadata, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The lakehouse tables this session sees (for a restricted user, those the user may read), with their unique keys.</summary>
    public async Task<IReadOnlyList<LakehouseTable>> ListTablesAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<LakehouseTable> tables = await _locator.ListAsync(cancellationToken).ConfigureAwait(false);
        return _access is null ? tables : tables.Where(t => _access.Find(t.QualifiedName) is not null).ToList();
    }

    /// <summary>Runs SQL (one or more statements) and returns a reader over the first result.</summary>
    /// <param name="sql">The SQL; lakehouse tables are named <c>namespace.table</c>.</param>
    /// <param name="parameters">Values for <c>$1</c>, <c>$2</c>, ... in order, if any.</param>
    /// <param name="cancellationToken">Interrupts the query.</param>
    /// <exception cref="MedallionException">An unknown table, a bad time-travel clause, or a statement a read-only session refuses.</exception>
    /// <exception cref="DuckDbException">The query failed in DuckDB.</exception>
    public async Task<DuckDbDataReader> ExecuteReaderAsync(string sql, IReadOnlyList<object?>? parameters = null, CancellationToken cancellationToken = default)
    {
        string text = await BindAsync(sql, cancellationToken).ConfigureAwait(false);
        DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = text;
        foreach (object? value in parameters ?? [])
        {
            command.Parameters.Add(value);
        }

        return await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The SQL that runs for <paramref name="sql"/> on <see cref="Connection"/>: referenced tables brought to
    /// their latest version, time-travel references pointed at views of their version, and, in a read-only
    /// session, every statement checked before anything runs. Parameters (<c>$1</c>, ...) stay in place.
    /// </summary>
    /// <exception cref="MedallionException">An unknown table, a bad time-travel clause, or a statement a read-only session refuses (<see cref="ErrorCode.EngineReadOnly"/>).</exception>
    /// <exception cref="DuckDbException">A statement does not parse or bind.</exception>
    public async Task<string> BindAsync(string sql, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sql);
        LastReads = StatementReads.None;
        _readsOtherThanTables = false;
        var tables = new List<string>();
        var columns = new List<string>();
        if (!ReadOnly)
        {
            ParsedStatement parsed = await ParsedStatement.ParseAsync(_metadata, sql, cancellationToken).ConfigureAwait(false);
            columns.AddRange(parsed.Columns);
            _readsOtherThanTables = !parsed.IsSelect;
            string bound = parsed.IsSelect ? await BindTablesAsync(parsed, sql, tables, cancellationToken).ConfigureAwait(false) : sql;
            await RefreshIfPendingAsync(cancellationToken).ConfigureAwait(false);
            LastReads = new StatementReads(tables, columns);
            return bound;
        }

        var guard = new StatementGuard(_metadata, Served ? GuardProfile.Served : GuardProfile.Shell, restricted: _access is not null);
        var text = new StringBuilder();
        foreach (CheckedStatement statement in await guard.CheckAsync(sql, cancellationToken).ConfigureAwait(false))
        {
            foreach (string column in statement.Query?.Columns ?? [])
            {
                AddOnce(columns, column);
            }

            _readsOtherThanTables |= statement.Query is null;
            bool nested = statement.Query is { } checkedQuery && Served && await BindNestedQueriesAsync(checkedQuery, cancellationToken).ConfigureAwait(false);
            string body = statement.Query is { } query ? await BindTablesAsync(query, statement.Text, tables, cancellationToken, nested).ConfigureAwait(false) : statement.Text;
            // The separator starts on a new line: a statement's text may end in a -- comment.
            text.Append(text.Length == 0 ? string.Empty : "\n;\n").Append(statement.Head).Append(body);
        }

        await RefreshIfPendingAsync(cancellationToken).ConfigureAwait(false);
        LastReads = new StatementReads(tables, columns);
        return text.ToString();
    }

    /// <summary>Whether the session serves a remote client (or a user under an access policy) rather than the person at the machine.</summary>
    private bool Served => _access is not null || !AllowsSessionStatements;

    /// <summary>In a lazy session, brings every table up to date before the first statement that reads more than tables named by it.</summary>
    private async Task RefreshIfPendingAsync(CancellationToken cancellationToken)
    {
        if (_refreshPending && _readsOtherThanTables)
        {
            await RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Brings the views of a query's lakehouse tables up to date and points time-travel references at views of their
    /// version; returns the SQL to run: <paramref name="sql"/> itself when nothing was rewritten.
    /// </summary>
    private async Task<string> BindTablesAsync(ParsedStatement parsed, string sql, List<string> read, CancellationToken cancellationToken, bool rewritten = false)
    {
        if (parsed.References.Count == 0)
        {
            // No table named: it may read the lakehouse through catalog functions (duckdb_views(), ...).
            _readsOtherThanTables = true;
            return rewritten ? await parsed.ToSqlAsync(_metadata, cancellationToken).ConfigureAwait(false) : sql;
        }

        // Each table named is looked up where it would be, all at once; the lake is listed only when a name is not found
        // there, to tell a missing table (an error) from a schema of DuckDB's own (pg_catalog, information_schema, ...).
        Dictionary<(string Schema, string Table), LakehouseTable?> found = await FindTablesAsync(parsed.References, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<LakehouseTable>? listed = null;
        var latest = new List<LakehouseTable>();
        foreach (TableReference reference in parsed.References)
        {
            if (Served && await RedirectMetadataAsync(reference, cancellationToken).ConfigureAwait(false))
            {
                // A catalog relation describes every table: a lazy session brings them all up to date first.
                _readsOtherThanTables = true;
                rewritten = true;
                continue;
            }

            if (!MayNameTable(reference))
            {
                _readsOtherThanTables = true;
                continue;
            }

            if (!found.TryGetValue((reference.Schema, reference.Table), out LakehouseTable? table) || table is null)
            {
                listed ??= await _locator.ListAsync(cancellationToken).ConfigureAwait(false);
                if (!listed.Any(t => string.Equals(t.Namespace, reference.Schema, StringComparison.OrdinalIgnoreCase)))
                {
                    _readsOtherThanTables = true;
                    continue;
                }

                table = listed.FirstOrDefault(t =>
                    string.Equals(t.Namespace, reference.Schema, StringComparison.OrdinalIgnoreCase) &&
                    string.Equals(t.Name, reference.Table, StringComparison.OrdinalIgnoreCase))
                    ?? throw UnknownTable(reference, _access is null ? listed : listed.Where(t => _access.Find(t.QualifiedName) is not null).ToList());
            }

            if (_access is not null && _access.Find(table.QualifiedName) is null)
            {
                throw new MedallionException(ErrorCode.EngineAccessDenied,
                    $"permission denied for table {table.QualifiedName}: user {_access.User} has no grant to read it. Help: an admin can run medallion grant select on {table.QualifiedName} to {_access.User} (or to one of the user's roles).");
            }

            if (reference.AtUnit is null)
            {
                if (!latest.Contains(table))
                {
                    latest.Add(table);
                }

                AddOnce(read, table.QualifiedName);
                continue;
            }

            long version = await ResolveVersionAsync(table, reference, cancellationToken).ConfigureAwait(false);
            AddOnce(read, table.QualifiedName + "@v" + version.ToString(CultureInfo.InvariantCulture));
            string view = await EnsureTimeTravelViewAsync(table, version, cancellationToken).ConfigureAwait(false);
            reference.RedirectTo("temp", "main", view);
            rewritten = true;
        }

        // Every reference is checked before any table is loaded; then the tables read at their latest version load together.
        if (latest.Count > 0)
        {
            await _views.EnsureLatestAsync(latest, _metadata, cancellationToken).ConfigureAwait(false);
        }

        return rewritten ? await parsed.ToSqlAsync(_metadata, cancellationToken).ConfigureAwait(false) : sql;
    }

    /// <summary>Whether <paramref name="reference"/> may name a lakehouse table: it has a schema, and not one of DuckDB's own.</summary>
    private static bool MayNameTable(TableReference reference) => reference.Schema.Length > 0 && !s_engineSchemas.Contains(reference.Schema);

    /// <summary>
    /// The lakehouse table each schema-qualified reference names (null when the locator finds none), looked up at once;
    /// DuckDB's own schemas are not looked up, since no lakehouse namespace can take their names.
    /// </summary>
    private async Task<Dictionary<(string Schema, string Table), LakehouseTable?>> FindTablesAsync(IReadOnlyList<TableReference> references, CancellationToken cancellationToken)
    {
        List<(string Schema, string Table)> names = [.. references
            .Where(MayNameTable)
            .Select(r => (r.Schema, r.Table))
            .Distinct()];
        LakehouseTable?[] tables = await Task.WhenAll(names.Select(n => _locator.FindAsync(n.Schema, n.Table, cancellationToken))).ConfigureAwait(false);
        var found = new Dictionary<(string Schema, string Table), LakehouseTable?>();
        for (int i = 0; i < names.Count; i++)
        {
            found[names[i]] = tables[i];
        }

        return found;
    }

    /// <summary>
    /// In a served session, the SQL inside <c>query('...')</c> is bound like the outer statement (the guard has checked it
    /// already), so it reads the same masked views and the same copies of the catalog. Returns whether the tree changed.
    /// </summary>
    private async Task<bool> BindNestedQueriesAsync(ParsedStatement parsed, CancellationToken cancellationToken)
    {
        bool changed = false;
        var pending = new Stack<System.Text.Json.Nodes.JsonNode>();
        if (parsed.Tree is { } tree)
        {
            pending.Push(tree);
        }

        while (pending.TryPop(out System.Text.Json.Nodes.JsonNode? node))
        {
            if (node is System.Text.Json.Nodes.JsonObject obj && Text(obj["type"]) == "TABLE_FUNCTION" && obj["function"] is System.Text.Json.Nodes.JsonObject function
                && Text(function["function_name"])?.ToLowerInvariant() is "query" or "query_table"
                && function["children"] is System.Text.Json.Nodes.JsonArray arguments)
            {
                foreach (System.Text.Json.Nodes.JsonNode? argument in arguments)
                {
                    if (Text(function["function_name"])!.Equals("query", StringComparison.OrdinalIgnoreCase)
                        && argument is System.Text.Json.Nodes.JsonObject constant && constant["value"] is System.Text.Json.Nodes.JsonObject value && Text(value["value"]) is { } text)
                    {
                        value["value"] = await BindAsync(text, cancellationToken).ConfigureAwait(false);
                        changed = true;
                    }
                }

                continue;
            }

            foreach (System.Text.Json.Nodes.JsonNode? child in node switch
            {
                System.Text.Json.Nodes.JsonObject o => o.Select(p => p.Value),
                System.Text.Json.Nodes.JsonArray a => a,
                _ => [],
            })
            {
                if (child is not null)
                {
                    pending.Push(child);
                }
            }
        }

        return changed;
    }

    private static string? Text(System.Text.Json.Nodes.JsonNode? node) =>
        node is System.Text.Json.Nodes.JsonValue value && value.TryGetValue(out string? text) ? text : null;

    /// <summary>
    /// In a served session, DuckDB's relations that show definitions or settings are read through copies without them
    /// (<see cref="ServedCatalog.Sanitized"/>), which also leave out the session's own relations.
    /// </summary>
    private async Task<bool> RedirectMetadataAsync(TableReference reference, CancellationToken cancellationToken)
    {
        if (!ServedCatalog.Sanitized.TryGetValue(reference.Table, out SanitizedRelation? copy) || !ServedCatalog.IsSystemRelation(reference, _metadata))
        {
            return false;
        }

        if (!_metadataViewsInstalled)
        {
            using DuckDbCommand command = _connection.CreateCommand();
            command.CommandText = string.Join("; ", ServedCatalog.Sanitized.Values.Select(r => $"CREATE OR REPLACE TEMP VIEW {r.View} AS {r.Sql}"));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _metadataViewsInstalled = true;
        }

        reference.RedirectTo("temp", "main", copy.View);
        return true;
    }

    private static void AddOnce(List<string> list, string item)
    {
        if (!list.Contains(item))
        {
            list.Add(item);
        }
    }

    private async Task<long> ResolveVersionAsync(LakehouseTable table, TableReference reference, CancellationToken cancellationToken)
    {
        if (!reference.AtExpressionIsConstant)
        {
            throw new MedallionException(ErrorCode.EngineInvalidTimeTravel,
                $"The time-travel clause on {table.QualifiedName} must be a constant expression: a number, a timestamp, or arithmetic on them. Help: write the version or timestamp itself, e.g. AT (VERSION => 3) or AT (TIMESTAMP => now() - INTERVAL 1 DAY).");
        }

        object? value = await ParsedStatement.EvaluateAsync(_metadata, reference.AtExpression!, cancellationToken).ConfigureAwait(false);
        DeltaTable delta = StorageResolver.OpenTable(table.Store, _metadata);
        switch (reference.AtUnit?.ToUpperInvariant())
        {
            case "VERSION" when value is sbyte or short or int or long or byte or ushort or uint or ulong or Int128 or decimal:
                if (WholeVersion(value) is not long version)
                {
                    throw await NoSuchVersionAsync(table, delta, value, null, cancellationToken).ConfigureAwait(false);
                }

                try
                {
                    // Loading the snapshot checks that the version exists.
                    await delta.GetSnapshotAsync(version, cancellationToken).ConfigureAwait(false);
                }
                catch (MedallionException missing) when (missing.Code == ErrorCode.DeltaVersionNotFound)
                {
                    throw await NoSuchVersionAsync(table, delta, value, missing, cancellationToken).ConfigureAwait(false);
                }

                return version;
            case "TIMESTAMP" when value is DateTime dateTime:
                var instant = new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc));
                long atVersion;
                try
                {
                    atVersion = await delta.GetVersionAtTimestampAsync(instant, cancellationToken).ConfigureAwait(false);
                }
                catch (MedallionException outOfRange) when (outOfRange.Code == ErrorCode.DeltaTimestampOutOfRange)
                {
                    (CommitEntry earliest, CommitEntry newest) = await delta.GetCommitTimeRangeAsync(cancellationToken).ConfigureAwait(false);
                    throw NoVersionAt(table, instant, earliest, newest, outOfRange);
                }

                if (atVersion == 0)
                {
                    // Before the first commit the Delta layer answers version 0, as delta-rs does; but the table had no
                    // version then, and reading version 0 would show rows as of a time they did not exist.
                    (CommitEntry earliest, CommitEntry newest) = await delta.GetCommitTimeRangeAsync(cancellationToken).ConfigureAwait(false);
                    if (instant < earliest.Timestamp)
                    {
                        throw NoVersionAt(table, instant, earliest, newest, null);
                    }
                }

                return atVersion;
            default:
                throw new MedallionException(ErrorCode.EngineInvalidTimeTravel,
                    $"The time-travel clause on {table.QualifiedName} must be AT (VERSION => <integer>) or AT (TIMESTAMP => <timestamp>), not {reference.AtUnit} => {value ?? "NULL"}.");
        }
    }

    /// <summary>The version an <c>AT (VERSION =&gt; n)</c> asks for, when it is one a table can have: a whole number from 0 up.</summary>
    private static long? WholeVersion(object value)
    {
        decimal number = value is Int128 wide ? (wide > long.MaxValue ? decimal.MaxValue : wide < 0 ? -1 : (long)wide) : Convert.ToDecimal(value, CultureInfo.InvariantCulture);
        return number < 0 || number > long.MaxValue || number != decimal.Truncate(number) ? null : (long)number;
    }

    /// <summary>
    /// The error for an <c>AT (VERSION =&gt; n)</c> the table has no version for, naming the table by its name (never its
    /// location, which a served user must not learn) and the versions it has.
    /// </summary>
    private static async Task<MedallionException> NoSuchVersionAsync(LakehouseTable table, DeltaTable delta, object value, MedallionException? missing, CancellationToken cancellationToken)
    {
        long newest = (await delta.GetSnapshotAsync(null, cancellationToken).ConfigureAwait(false)).Version;
        string which = WholeVersion(value) is long version && version <= newest
            ? $"no version {value} any more: its log was cleaned up past it, and its newest version is {newest}"
            : $"no version {value}: versions are whole numbers from 0 (its first commit), and its newest is {newest}";
        return new MedallionException(ErrorCode.EngineInvalidTimeTravel, string.Create(CultureInfo.InvariantCulture,
            $"Table {table.QualifiedName} has {which}. Help: list its versions with medallion history {table.QualifiedName}."), missing);
    }

    /// <summary>
    /// The error for an <c>AT (TIMESTAMP =&gt; t)</c> before the earliest commit the table's log holds, naming the table by
    /// its name (never its location, which a served user must not learn) and the times it has.
    /// </summary>
    private static MedallionException NoVersionAt(LakehouseTable table, DateTimeOffset instant, CommitEntry earliest, CommitEntry newest, MedallionException? outOfRange)
    {
        string first = earliest.Version == 0
            ? $"its first commit (version 0) is at {Instant(earliest.Timestamp)}"
            : $"the earliest version its log still holds (version {earliest.Version}; older ones were cleaned up) is at {Instant(earliest.Timestamp)}";
        return new MedallionException(ErrorCode.EngineInvalidTimeTravel, string.Create(CultureInfo.InvariantCulture,
            $"Table {table.QualifiedName} has no version at {Instant(instant)}: {first}, and its newest (version {newest.Version}) at {Instant(newest.Timestamp)}. Help: list its versions and their times with medallion history {table.QualifiedName}."),
            outOfRange);
    }

    /// <summary>An instant as a time-travel error names it: UTC, to the fraction of a second it has.</summary>
    private static string Instant(DateTimeOffset instant) =>
        instant == DateTimeOffset.MinValue ? "an unknown time" : instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private async Task<string> EnsureTimeTravelViewAsync(LakehouseTable table, long version, CancellationToken cancellationToken)
    {
        string view = $"__{table.Namespace}__{table.Name}__v{version.ToString(CultureInfo.InvariantCulture)}";
        if (_timeTravelViews.Contains(view))
        {
            return view;
        }

        DeltaTable delta = StorageResolver.OpenTable(table.Store, _metadata);
        var snapshot = await delta.GetSnapshotAsync(version, cancellationToken).ConfigureAwait(false);
        string scan = await DeltaScanSql.BuildAsync(delta, snapshot, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (_access is not null)
        {
            // The same projection as the latest version's view: an older version is masked and filtered alike.
            scan = SessionAccess.Project(scan, _access.Find(table.QualifiedName)!, snapshot.Schema);
        }

        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = $"CREATE OR REPLACE TEMP VIEW {DuckDbConnection.QuoteIdentifier(view)} AS {scan}";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        _timeTravelViews.Add(view);
        return view;
    }

    private static MedallionException UnknownTable(TableReference reference, IReadOnlyList<LakehouseTable> tables)
    {
        string wanted = reference.Schema + "." + reference.Table;
        string help = NameSuggester.DidYouMeanTable(wanted, tables.Select(t => t.QualifiedName));
        return new MedallionException(ErrorCode.EngineUnknownTable, $"Table {wanted} does not exist in the lakehouse.{help}");
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _connection.DisposeAsync().ConfigureAwait(false);
        await _metadata.DisposeAsync().ConfigureAwait(false);
        if (_ownsDatabase)
        {
            _database.Dispose();
        }
    }
}
