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
    private const string Columns = "environment, model, fingerprint, definition_hash, metadata_hash, sql, columns, run_id, built_at";

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
         INSERT INTO environment_models ({Columns}) VALUES (@environment, @model, @fingerprint, @definition, @metadata, @sql, @columns, @run, @built)
         ON CONFLICT (environment, model) DO UPDATE SET fingerprint = excluded.fingerprint, definition_hash = excluded.definition_hash, metadata_hash = excluded.metadata_hash,
             sql = excluded.sql, columns = excluded.columns, run_id = excluded.run_id, built_at = excluded.built_at
         """,
        [
            ("@environment", state.Environment), ("@model", Key(state.Model)), ("@fingerprint", state.Fingerprint), ("@definition", state.DefinitionHash), ("@metadata", state.MetadataHash),
            ("@sql", state.Sql), ("@columns", WriteColumns(state.Columns)), ("@run", state.RunId), ("@built", FormatTime(state.BuiltAt)),
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
        ParseTime(r.GetString(8)));

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
