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
                return count;
            },
            cancellationToken);
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
        return _db.ExecuteInTransactionAsync(states.Select(StateStatement), cancellationToken);
    }

    /// <summary>Forgets what <paramref name="environment"/> built of <paramref name="models"/> (models removed from the project), in one transaction.</summary>
    public Task RemoveModelStatesAsync(string environment, IReadOnlyList<TableName> models, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(environment);
        ArgumentNullException.ThrowIfNull(models);
        return _db.ExecuteInTransactionAsync(
            models.Select(m => ("DELETE FROM environment_models WHERE environment = @environment AND model = @model", new (string, object?)[] { ("@environment", environment), ("@model", Key(m)) })),
            cancellationToken);
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
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static List<ModelColumnState> ReadColumns(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(c => new ModelColumnState(c.GetProperty("name").GetString()!, c.GetProperty("type").GetString()!)).ToList();
    }
}
