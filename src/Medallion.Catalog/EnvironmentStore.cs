using System;
using System.Collections.Generic;
using System.Data.Common;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;
using static Medallion.Catalog.Internal.CatalogDatabase;

namespace Medallion.Catalog;

/// <summary>
/// What each environment last built of each model (<see cref="ModelStateRecord"/>), and the lock that serializes the
/// applies of plans to one environment. Reached through <see cref="CatalogStore.Environments"/>.
/// </summary>
/// <remarks>
/// The apply lock is a row of the catalog's leases, named <c>apply:&lt;environment&gt;</c>: taking it is one conditional
/// statement, so two applies asking together cannot both hold it; it says who holds it and since when, its holder renews
/// it while it works, and it lapses when its holder stops renewing (a killed process), so a later apply takes it over.
/// </remarks>
public sealed class EnvironmentStore
{
    private const string Columns = "environment, model, fingerprint, definition_hash, metadata_hash, sql, columns, run_id, built_at, location";

    /// <summary>The environment runs build and plans compare with by default.</summary>
    public const string Production = "prod";

    /// <summary>The suffix of the name under which an environment's previous set of tables is kept by a promotion (never a valid environment name).</summary>
    private const string PreviousSuffix = "~previous";

    private readonly CatalogDatabase _db;

    internal EnvironmentStore(CatalogDatabase db) => _db = db;

    /// <summary>What environment <paramref name="environment"/> last built of each model, by model.</summary>
    public async Task<IReadOnlyDictionary<TableName, ModelStateRecord>> GetModelStatesAsync(string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        List<ModelStateRecord> states = await _db.QueryAsync(
            $"SELECT {Columns} FROM environment_models WHERE environment = @environment",
            [("@environment", environment)],
            Read,
            cancellationToken).ConfigureAwait(false);
        return states.ToDictionary(s => s.Model);
    }

    /// <summary>
    /// Where <paramref name="environment"/> points each model it holds, and which run built it: what every run reads to find
    /// its tables, so only those columns (see <see cref="GetModelStatesAsync"/> for the rest).
    /// </summary>
    public Task<List<ModelPointer>> GetModelPointersAsync(string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return _db.QueryAsync(
            "SELECT model, location, run_id FROM environment_models WHERE environment = @environment",
            [("@environment", environment)],
            r => new ModelPointer(TableName.Parse(r.GetString(0)), GetNullableString(r, 1), GetNullableString(r, 2)),
            cancellationToken);
    }

    /// <summary>
    /// Every model row of every environment, the kept previous sets included (their environment ends in <c>~previous</c>):
    /// what a janitor keeps and where an apply finds a physical table already built with a fingerprint.
    /// </summary>
    public Task<List<ModelStateRecord>> ListAllModelStatesAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync($"SELECT {Columns} FROM environment_models ORDER BY environment, model", [], Read, cancellationToken);

    /// <summary>The environments that hold at least one model, by name (the kept previous sets left out).</summary>
    public async Task<List<string>> ListEnvironmentsAsync(CancellationToken cancellationToken = default) =>
        (await _db.QueryAsync("SELECT DISTINCT environment FROM environment_models ORDER BY environment", [], r => r.GetString(0), cancellationToken).ConfigureAwait(false))
            .Where(e => !e.EndsWith(PreviousSuffix, StringComparison.Ordinal))
            .ToList();

    /// <summary>
    /// Whether <paramref name="environment"/> is one whose tables can be read: <c>prod</c> always, another while it holds a model
    /// (one that holds nothing would be read as prod's tables under its name).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNameInvalid"/> for a name no environment could have.</exception>
    public async Task<bool> ExistsAsync(string environment, CancellationToken cancellationToken = default)
    {
        CheckName(environment);
        return environment == Production || (await ListEnvironmentsAsync(cancellationToken).ConfigureAwait(false)).Contains(environment);
    }

    /// <summary>
    /// Refuses an environment whose tables cannot be read (<see cref="ExistsAsync"/>): what every answer "as environment X
    /// reads it" checks first, so none answers prod's records under the name of an environment that holds nothing.
    /// </summary>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.EnvironmentNameInvalid"/> for a name no environment could have, <see cref="ErrorCode.EnvironmentNotFound"/>
    /// for an environment that holds nothing.
    /// </exception>
    public async Task RequireAsync(string environment, CancellationToken cancellationToken = default)
    {
        if (!await ExistsAsync(environment, cancellationToken).ConfigureAwait(false))
        {
            throw NotFound(environment);
        }
    }

    /// <summary>The error for an environment that holds nothing, with what to do about it.</summary>
    public static MedallionException NotFound(string environment) =>
        new(ErrorCode.EnvironmentNotFound,
            $"There is no environment '{environment}'.\nHelp: medallion env list shows the environments there are; medallion apply --env {environment} builds one.");

    /// <summary>
    /// SQL for the physical table an environment reads for a model: where its pointer points, prod's when it holds none of the
    /// model (it reads prod's), <c>''</c> (the model's own location) when neither does. What a record kept per physical table
    /// (a version, a lineage edge, a quality result) is matched with to be the environment's.
    /// </summary>
    /// <param name="model">SQL naming the model's key (<c>namespace.name</c>, lowercase), e.g. a column of the outer query.</param>
    /// <param name="environment">SQL naming the environment, e.g. a parameter.</param>
    internal static string PointerSql(string model, string environment) => $"""
        COALESCE(
            (SELECT COALESCE(pointer_env.location, '') FROM environment_models pointer_env WHERE pointer_env.environment = {environment} AND pointer_env.model = {model}),
            (SELECT COALESCE(pointer_prod.location, '') FROM environment_models pointer_prod WHERE pointer_prod.environment = '{Production}' AND pointer_prod.model = {model}),
            '')
        """;

    /// <summary>The name under which <paramref name="environment"/>'s set of tables before its last promotion is kept.</summary>
    public static string PreviousOf(string environment) => environment + PreviousSuffix;

    /// <summary>
    /// Checks that <paramref name="name"/> can name an environment: lowercase ASCII letters, digits, <c>_</c> and <c>-</c>,
    /// starting with a letter, at most 63 characters (a branch name made lowercase, with <c>/</c> turned into <c>-</c>, fits).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNameInvalid"/>, naming the first character that does not fit.</exception>
    public static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string? problem = name.Length == 0 ? "it is empty"
            : name.Length > 63 ? $"it has {name.Length} characters, more than 63"
            : !char.IsAsciiLetterLower(name[0]) ? $"it starts with '{name[0]}', not a lowercase letter"
            : null;
        for (int i = 1; problem is null && i < name.Length; i++)
        {
            if (!(char.IsAsciiLetterLower(name[i]) || char.IsAsciiDigit(name[i]) || name[i] is '_' or '-'))
            {
                problem = $"its character {i + 1}, '{name[i]}', is not a lowercase letter, digit, '_' or '-'";
            }
        }

        if (problem is not null)
        {
            throw new MedallionException(
                ErrorCode.EnvironmentNameInvalid,
                $"'{name}' cannot name an environment: {problem}.\nHelp: use lowercase letters, digits, '_' and '-', starting with a letter (e.g. dev, pr-42).");
        }
    }

    /// <summary>
    /// Points <paramref name="to"/> at what <paramref name="from"/> holds, model by model, in one catalog transaction: the rows
    /// of <paramref name="to"/> (their fingerprints and physical tables) are kept as its previous set (<see cref="PreviousOf"/>,
    /// replacing an older one), and each model <paramref name="from"/> holds gets a copy of its row; the models
    /// <paramref name="from"/> does not hold (it reads them from <c>prod</c>) keep theirs. No table is read or written.
    /// </summary>
    /// <returns>How many models <paramref name="to"/> now holds.</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNotFound"/> when <paramref name="from"/> holds no model; nothing changes then.</exception>
    public Task<int> PromoteAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        CheckName(from);
        CheckName(to);
        if (from == to)
        {
            throw new ArgumentException($"An environment ('{from}') cannot be promoted to itself.", nameof(to));
        }

        return _db.WriteAsync(
            (connection, transaction) =>
            {
                int count = CountModels(connection, transaction, from);
                if (count == 0)
                {
                    throw new MedallionException(
                        ErrorCode.EnvironmentNotFound,
                        $"Environment '{from}' holds no model, so there is nothing to promote to '{to}'.\nHelp: build it first with medallion apply --env {from}.");
                }

                (string, object?)[] previous = [("@previous", PreviousOf(to))];
                Execute(connection, transaction, "DELETE FROM environment_models WHERE environment = @previous", previous);
                Execute(
                    connection,
                    transaction,
                    $"INSERT INTO environment_models ({Columns}) SELECT @previous, {Columns.Substring("environment, ".Length)} FROM environment_models WHERE environment = @to",
                    [.. previous, ("@to", to)]);
                Execute(
                    connection,
                    transaction,
                    "DELETE FROM environment_models WHERE environment = @to AND model IN (SELECT model FROM environment_models WHERE environment = @from)",
                    [("@to", to), ("@from", from)]);
                Execute(
                    connection,
                    transaction,
                    $"INSERT INTO environment_models ({Columns}) SELECT @to, {Columns.Substring("environment, ".Length)} FROM environment_models WHERE environment = @from",
                    [("@to", to), ("@from", from)]);
                Track(connection, transaction, _db.Now());
                if (to == Production)
                {
                    RecordProductionColumns(connection, transaction, ModelsOf(connection, transaction, from));
                }

                return count;
            },
            cancellationToken);
    }

    /// <summary>
    /// Puts <paramref name="environment"/> back on the set of tables it held before its last promotion, in one catalog
    /// transaction: the two sets change places, so a second rollback undoes the first. No table is read or written.
    /// </summary>
    /// <returns>How many models <paramref name="environment"/> now holds.</returns>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EnvironmentNotFound"/> when nothing was ever promoted to it.</exception>
    public Task<int> RollbackAsync(string environment, CancellationToken cancellationToken = default)
    {
        CheckName(environment);
        string previous = PreviousOf(environment);
        return _db.WriteAsync(
            (connection, transaction) =>
            {
                int count = CountModels(connection, transaction, previous);
                if (count == 0)
                {
                    throw new MedallionException(
                        ErrorCode.EnvironmentNotFound,
                        $"Environment '{environment}' has no earlier set of tables to go back to: nothing was promoted to it.\nHelp: a rollback undoes a medallion promote.");
                }

                const string Swapping = "~swapping";
                Execute(connection, transaction, "UPDATE environment_models SET environment = @swapping WHERE environment = @previous", [("@swapping", Swapping), ("@previous", previous)]);
                Execute(connection, transaction, "UPDATE environment_models SET environment = @previous WHERE environment = @environment", [("@previous", previous), ("@environment", environment)]);
                Execute(connection, transaction, "UPDATE environment_models SET environment = @environment WHERE environment = @swapping", [("@environment", environment), ("@swapping", Swapping)]);
                if (environment == Production)
                {
                    RecordProductionColumns(connection, transaction, [.. ModelsOf(connection, transaction, environment).Union(ModelsOf(connection, transaction, previous))]);
                }

                return count;
            },
            cancellationToken);
    }

    private static List<string> ModelsOf(DbConnection connection, DbTransaction transaction, string environment)
    {
        var models = new List<string>();
        using DbCommand command = CreateCommand(connection, transaction, "SELECT model FROM environment_models WHERE environment = @environment", [("@environment", environment)]);
        using DbDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            models.Add(reader.GetString(0));
        }

        return models;
    }

    /// <summary>
    /// Makes the catalog's columns of each of <paramref name="models"/> those of the physical table <c>prod</c> now points it at
    /// (as its state records them), in the promotion's or rollback's transaction, so the catalog describes the table prod
    /// serves; a column's docs, classification and tags are kept where the column keeps its name. The table's versions need
    /// nothing: they are kept per physical table and read at prod's pointer (<see cref="TableCatalog.GetTableHistoryAsync(TableName, string, CancellationToken)"/>).
    /// </summary>
    private static void RecordProductionColumns(DbConnection connection, DbTransaction transaction, IReadOnlyList<string> models)
    {
        foreach (string model in models)
        {
            TableName table = TableName.Parse(model);
            (string, object?)[] key = [("@ns", table.Namespace.ToLowerInvariant()), ("@table", table.Name.ToLowerInvariant())];
            List<ModelColumnState> built;
            using (DbCommand state = CreateCommand(connection, transaction, "SELECT columns FROM environment_models WHERE environment = @environment AND model = @model", [("@environment", Production), ("@model", model)]))
            {
                if (state.ExecuteScalar() is not string json)
                {
                    continue;
                }

                built = ReadColumns(json);
            }

            using (DbCommand registered = CreateCommand(connection, transaction, "SELECT COUNT(*) FROM tables WHERE namespace = @ns AND name = @table", key))
            {
                if (Convert.ToInt64(registered.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0)
                {
                    continue;
                }
            }

            var documented = new Dictionary<string, CatalogColumn>(StringComparer.OrdinalIgnoreCase);
            using (DbCommand existing = CreateCommand(connection, transaction, "SELECT name, description, classification, tags FROM columns WHERE namespace = @ns AND table_name = @table", key))
            using (DbDataReader reader = existing.ExecuteReader())
            {
                while (reader.Read())
                {
                    documented[reader.GetString(0)] = new CatalogColumn(reader.GetString(0), string.Empty, true, GetNullableString(reader, 1), GetNullableString(reader, 2), CatalogJson.ReadStrings(reader.GetString(3)));
                }
            }

            List<CatalogColumn> columns = [.. built.Select(c => documented.TryGetValue(c.Name, out CatalogColumn? doc)
                ? doc with { Name = c.Name, DataType = c.Type, Nullable = c.Nullable }
                : new CatalogColumn(c.Name, c.Type, c.Nullable))];
            foreach ((string sql, (string Name, object? Value)[] parameters) in TableCatalog.ColumnStatements(table, columns))
            {
                Execute(connection, transaction, sql, parameters);
            }
        }
    }

    private static int CountModels(DbConnection connection, DbTransaction transaction, string environment)
    {
        using DbCommand command = CreateCommand(connection, transaction, "SELECT COUNT(*) FROM environment_models WHERE environment = @environment", [("@environment", environment)]);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Records the states (each replacing what its environment held of its model), in one transaction.</summary>
    public Task SetModelStatesAsync(IReadOnlyList<ModelStateRecord> states, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(states);
        return _db.ExecuteInTransactionAsync(states.Select(StateStatement).Concat(TrackingStatements(_db.Now())), cancellationToken);
    }

    /// <summary>Forgets what <paramref name="environment"/> built of <paramref name="models"/> (models removed from the project), in one transaction.</summary>
    public Task RemoveModelStatesAsync(string environment, IReadOnlyList<TableName> models, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        ArgumentNullException.ThrowIfNull(models);
        return _db.ExecuteInTransactionAsync(
            models.Select(m => ("DELETE FROM environment_models WHERE environment = @environment AND model = @model", new (string, object?)[] { ("@environment", environment), ("@model", Key(m)) }))
                .Concat(TrackingStatements(_db.Now())),
            cancellationToken);
    }

    /// <summary>
    /// Drops <paramref name="environment"/>: removes its pointers, and those of the set a promotion to it kept, with the lineage
    /// and quality results it recorded of tables no environment points at any more, in one catalog transaction. No table is read or written; the tables only it pointed at are recorded as unpointed from now, for the
    /// janitor. The caller holds the environment's apply lock (see <c>ProjectPlanner.DropAsync</c>).
    /// </summary>
    /// <returns>How many pointers were removed, the kept set's included.</returns>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.EnvironmentProtected"/> for <c>prod</c>; <see cref="ErrorCode.EnvironmentNotFound"/> when it holds
    /// nothing; <see cref="ErrorCode.EnvironmentNameInvalid"/> for a name that is no environment's. Nothing changes then.
    /// </exception>
    public Task<int> DropAsync(string environment, CancellationToken cancellationToken = default)
    {
        CheckName(environment);
        if (environment == Production)
        {
            throw new MedallionException(
                ErrorCode.EnvironmentProtected,
                "Environment 'prod' cannot be dropped: it is what every reader reads.\nHelp: drop the environments you made (medallion env list shows them); 'medallion rollback prod' undoes a promotion.");
        }

        return _db.WriteAsync(
            (connection, transaction) =>
            {
                (string, object?)[] names = [("@environment", environment), ("@previous", PreviousOf(environment))];
                int dropped = Execute(connection, transaction, "DELETE FROM environment_models WHERE environment = @environment OR environment = @previous", names);
                if (dropped == 0)
                {
                    throw new MedallionException(
                        ErrorCode.EnvironmentNotFound,
                        $"Environment '{environment}' holds no model, so there is nothing to drop.\nHelp: medallion env list shows the environments there are.");
                }

                // Its lineage and quality results go with it, but for those of a table another environment (prod after a
                // promotion) still points at: they are that environment's now.
                Execute(
                    connection,
                    transaction,
                    """
                    DELETE FROM lineage_edges WHERE environment = @environment AND location <> ''
                        AND NOT EXISTS (SELECT 1 FROM environment_models e WHERE e.model = lineage_edges.downstream AND e.location = lineage_edges.location)
                    """,
                    names);
                Execute(
                    connection,
                    transaction,
                    """
                    DELETE FROM quality_results WHERE environment = @environment
                        AND NOT EXISTS (SELECT 1 FROM environment_models e WHERE e.model = quality_results.model AND COALESCE(e.location, '') = quality_results.location)
                    """,
                    names);

                Track(connection, transaction, _db.Now());
                return dropped;
            },
            cancellationToken);
    }

    /// <summary>
    /// Each environment with what it reads, <c>prod</c> first, then the others by name, each kept previous set after the
    /// environment it was taken from.
    /// </summary>
    public async Task<List<EnvironmentSummary>> SummarizeAsync(CancellationToken cancellationToken = default)
    {
        List<ModelStateRecord> all = await ListAllModelStatesAsync(cancellationToken).ConfigureAwait(false);
        Dictionary<TableName, string?> prod = all.Where(s => s.Environment == Production).ToDictionary(s => s.Model, s => s.Location);
        var summaries = new List<EnvironmentSummary>();
        foreach (IGrouping<string, ModelStateRecord> rows in all.GroupBy(s => s.Environment))
        {
            DateTimeOffset built = rows.Max(s => s.BuiltAt);
            if (rows.Key.EndsWith(PreviousSuffix, StringComparison.Ordinal))
            {
                summaries.Add(new EnvironmentSummary(rows.Key, rows.Key[..^PreviousSuffix.Length], rows.Count(), null, null, built));
            }
            else if (rows.Key == Production)
            {
                summaries.Add(new EnvironmentSummary(rows.Key, null, rows.Count(), null, null, built));
            }
            else
            {
                // A row pointing where prod points (after a promotion, or a change recorded without a build) reads prod's table.
                int own = rows.Count(s => s.Location is not null && (!prod.TryGetValue(s.Model, out string? p) || p != s.Location));
                int models = prod.Keys.Union(rows.Select(s => s.Model)).Count();
                summaries.Add(new EnvironmentSummary(rows.Key, null, models, own, models - own, built));
            }
        }

        return summaries
            .OrderBy(s => (s.PreviousOf ?? s.Name) == Production ? 0 : 1)
            .ThenBy(s => s.PreviousOf ?? s.Name, StringComparer.Ordinal)
            .ThenBy(s => s.PreviousOf is null ? 0 : 1)
            .ToList();
    }

    /// <summary>Every physical table an environment has pointed at since the catalog knew pointers, with when it lost its last pointer.</summary>
    public Task<List<EnvironmentTableRecord>> ListTablesAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync(
            "SELECT model, location, unpointed_at FROM environment_tables ORDER BY model, location",
            [],
            r => new EnvironmentTableRecord(TableName.Parse(r.GetString(0)), r.GetString(1), GetNullableString(r, 2) is { } at ? ParseTime(at) : null),
            cancellationToken);

    /// <summary>
    /// Records a physical table found in the lake that no environment points at and the catalog did not know (a build or a
    /// clone whose apply stopped before it recorded its pointer) as unpointed since <paramref name="at"/>; a table the
    /// catalog knows keeps its record.
    /// </summary>
    public Task RecordUnpointedAsync(TableName model, string location, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        return _db.ExecuteAsync(
            "INSERT INTO environment_tables (model, location, unpointed_at) VALUES (@model, @location, @at) ON CONFLICT (model, location) DO NOTHING",
            [("@model", Key(model)), ("@location", location), ("@at", FormatTime(at))],
            cancellationToken);
    }

    /// <summary>
    /// Forgets a physical table the janitor removed, unless an environment points at it again; false when one does (its
    /// record then stays, as pointed).
    /// </summary>
    public async Task<bool> ForgetTableAsync(TableName model, string location, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        int forgotten = await _db.ExecuteAsync(
            """
            DELETE FROM environment_tables WHERE model = @model AND location = @location
                AND NOT EXISTS (SELECT 1 FROM environment_models e WHERE e.model = @model AND e.location = @location)
            """,
            [("@model", Key(model)), ("@location", location)],
            cancellationToken).ConfigureAwait(false);
        return forgotten > 0;
    }

    /// <summary>Whether an environment (a kept previous set included) points at the physical table <paramref name="location"/> of <paramref name="model"/>.</summary>
    public async Task<bool> IsPointedAsync(TableName model, string location, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(location);
        List<long> count = await _db.QueryAsync(
            "SELECT COUNT(*) FROM environment_models WHERE model = @model AND location = @location",
            [("@model", Key(model)), ("@location", location)],
            r => Convert.ToInt64(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture),
            cancellationToken).ConfigureAwait(false);
        return count[0] > 0;
    }

    /// <summary>The environments an apply, promotion or rollback holds the apply lock of now (lapsed locks left out), by name.</summary>
    public Task<List<string>> ListApplyingAsync(CancellationToken cancellationToken = default) =>
        _db.QueryAsync(
            "SELECT name FROM leases WHERE name LIKE 'apply:%' AND expires_at > @now ORDER BY name",
            [("@now", _db.Now())],
            r => r.GetString(0)["apply:".Length..],
            cancellationToken);

    /// <summary>
    /// The statements that keep <c>environment_tables</c> in step with the pointers, run in the transaction of every write
    /// that changes them: a table pointed at is recorded (and no longer unpointed), and one that lost its last pointer is
    /// unpointed from <paramref name="now"/> on. Both look at every row, which stays small (models times environments).
    /// </summary>
    internal static IEnumerable<(string Sql, (string Name, object? Value)[] Parameters)> TrackingStatements(string now) =>
    [
        (
            """
            INSERT INTO environment_tables (model, location, unpointed_at)
            SELECT DISTINCT model, location, NULL FROM environment_models WHERE location IS NOT NULL
            ON CONFLICT (model, location) DO UPDATE SET unpointed_at = NULL WHERE environment_tables.unpointed_at IS NOT NULL
            """,
            []
        ),
        (
            """
            UPDATE environment_tables SET unpointed_at = @now WHERE unpointed_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM environment_models e WHERE e.model = environment_tables.model AND e.location = environment_tables.location)
            """,
            [("@now", now)]
        ),
    ];

    private static void Track(DbConnection connection, DbTransaction transaction, string now)
    {
        foreach ((string sql, (string Name, object? Value)[] parameters) in TrackingStatements(now))
        {
            Execute(connection, transaction, sql, parameters);
        }
    }

    /// <summary>
    /// Takes the apply lock of <paramref name="environment"/> for <paramref name="holder"/> until now + <paramref name="timeToLive"/>:
    /// when nobody holds it, when it lapsed, when <paramref name="holder"/> holds it already, or when <paramref name="replacing"/>
    /// holds it (a holder the caller knows is gone).
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.PlanApplyInProgress"/>, naming the holder and since when, when another apply holds it.</exception>
    public async Task<CatalogLease> AcquireApplyLockAsync(string environment, LeaseHolder holder, TimeSpan timeToLive, string? replacing = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        ArgumentNullException.ThrowIfNull(holder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        (int taken, CatalogLease lease) = await LeaseRows.TakeAsync(_db, LockName(environment), holder, timeToLive, replacing, cancellationToken).ConfigureAwait(false);
        if (taken == 0 || lease.Holder.Id != holder.Id)
        {
            throw new MedallionException(
                ErrorCode.PlanApplyInProgress,
                $"Another apply to environment '{environment}' is under way: {lease.Holder}, since {FormatTime(lease.AcquiredAt)} (last heartbeat {FormatTime(lease.HeartbeatAt)}, its lock lapses at {FormatTime(lease.ExpiresAt)} unless renewed).\nHelp: wait for it (leave out --no-wait), or stop that process; applies to one environment never interleave.");
        }

        return lease;
    }

    /// <summary>Extends <paramref name="holder"/>'s apply lock to now + <paramref name="timeToLive"/>; false when it no longer holds it.</summary>
    public Task<bool> RenewApplyLockAsync(string environment, LeaseHolder holder, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        ArgumentNullException.ThrowIfNull(holder);
        return LeaseRows.RenewAsync(_db, LockName(environment), holder, timeToLive, cancellationToken);
    }

    /// <summary>Gives the apply lock up, if <paramref name="holder"/> still holds it.</summary>
    public Task ReleaseApplyLockAsync(string environment, LeaseHolder holder, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        ArgumentNullException.ThrowIfNull(holder);
        return LeaseRows.ReleaseAsync(_db, LockName(environment), holder, cancellationToken);
    }

    /// <summary>Who holds the apply lock of <paramref name="environment"/>, or null when nobody does.</summary>
    public Task<CatalogLease?> GetApplyLockAsync(string environment, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        return LeaseRows.GetAsync(_db, LockName(environment), cancellationToken);
    }

    /// <summary>The statement recording one state; a run writes it with the model's outcome (<see cref="RunStore"/>).</summary>
    internal static (string Sql, (string Name, object? Value)[] Parameters) StateStatement(ModelStateRecord state) =>
    (
        $"""
         INSERT INTO environment_models ({Columns}) VALUES (@environment, @model, @fingerprint, @definition, @metadata, @sql, @columns, @run, @built, @location)
         ON CONFLICT (environment, model) DO UPDATE SET fingerprint = excluded.fingerprint, definition_hash = excluded.definition_hash, metadata_hash = excluded.metadata_hash,
             sql = excluded.sql, columns = excluded.columns, run_id = excluded.run_id, built_at = excluded.built_at, location = excluded.location
         """,
        [
            ("@environment", state.Environment), ("@model", Key(state.Model)), ("@fingerprint", state.Fingerprint), ("@definition", state.DefinitionHash), ("@metadata", state.MetadataHash),
            ("@sql", state.Sql), ("@columns", WriteColumns(state.Columns)), ("@run", state.RunId), ("@built", FormatTime(state.BuiltAt)),
            ("@location", state.Location),
        ]
    );

    private static string LockName(string environment) => "apply:" + environment;

    private static string Key(TableName model) => model.ToString().ToLowerInvariant();

    private static ModelStateRecord Read(DbDataReader r) => new(
        r.GetString(0),
        TableName.Parse(r.GetString(1)),
        r.GetString(2),
        r.GetString(3),
        r.GetString(4),
        r.GetString(5),
        ReadColumns(r.GetString(6)),
        GetNullableString(r, 7),
        ParseTime(r.GetString(8)))
    {
        Location = GetNullableString(r, 9),
    };

    private static string WriteColumns(IReadOnlyList<ModelColumnState> columns)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (ModelColumnState column in columns)
            {
                writer.WriteStartObject();
                writer.WriteString("name", column.Name);
                writer.WriteString("type", column.Type);
                writer.WriteBoolean("nullable", column.Nullable);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static List<ModelColumnState> ReadColumns(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray()
            .Select(c => new ModelColumnState(c.GetProperty("name").GetString()!, c.GetProperty("type").GetString()!)
            {
                Nullable = !c.TryGetProperty("nullable", out JsonElement nullable) || nullable.GetBoolean(),
            })
            .ToList();
    }
}
