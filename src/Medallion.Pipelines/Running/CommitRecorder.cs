using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Scanning;
using Medallion.Storage;

namespace Medallion.Pipelines.Running;

/// <summary>
/// Writes a committed table version into the catalog: the version with its schema (schema history) and the current columns
/// with their docs; for a model's own table also what the production environment now holds of the model (its fingerprint,
/// SQL and columns), so a plan against <c>prod</c> compares with what was last built.
/// </summary>
internal static class CommitRecorder
{
    /// <summary>
    /// Records version <paramref name="version"/> of the table at <paramref name="location"/> now, in one catalog write.
    /// Runs after the commit even when the run is being cancelled, so the catalog never misses a version that exists.
    /// </summary>
    public static async Task RecordAsync(RunContext run, TableName table, string location, long version, string operation, IReadOnlyList<ColumnDoc> docs, DeltaWriter writer)
    {
        CommitRecord record = await ReadAsync(run, table, location, version, operation, docs, writer).ConfigureAwait(false);
        await record.WriteAsync(run.Catalog, null).ConfigureAwait(false);
    }

    /// <summary>
    /// What the catalog is to record of version <paramref name="version"/>, read without touching the catalog, so that a
    /// step can hand it to the run's loop and leave its step slot before the catalog write (see <see cref="StepResult.Commit"/>).
    /// </summary>
    /// <remarks>The run's snapshots hold the version a writer of the run just committed, built from the commit itself,
    /// so the store is not asked again; another writer's version is read from the log.</remarks>
    public static async Task<CommitRecord> ReadAsync(RunContext run, TableName table, string location, long version, string operation, IReadOnlyList<ColumnDoc> docs, DeltaWriter writer)
    {
        Snapshot snapshot = await writer.GetSnapshotAsync(location, version, CancellationToken.None).ConfigureAwait(false);
        PipelineMeter.RecordCommit(table, snapshot.CommitInfo);
        var record = new TableVersionRecord(table, version, snapshot.Metadata.SchemaString, operation, snapshot.RecordCount, run.RunId, run.Time.GetUtcNow())
        {
            FileCount = snapshot.Files.Count,
            SizeBytes = snapshot.SizeBytes,
            Location = PointerOf(run, table),
        };
        List<CatalogColumn> columns = snapshot.Schema.Fields.Select(f => Column(f, docs)).ToList();
        ModelStateRecord? state = State(run, table, columns);
        return new CommitRecord(new CatalogTable(table, location), record, columns)
        {
            State = state,
            // Another environment's physical table has versions of its own, kept under its pointer; the catalog's columns stay
            // those of the table prod serves.
            KeepColumns = run.Tables.Environment != EnvironmentStore.Production,
            // Prod's lineage is the project's, registered before the run; another environment's is recorded of the table it
            // built, so it never replaces prod's.
            Lineage = state is not null && run.Tables.Environment != EnvironmentStore.Production ? run.Graph.GetAnalysis(table).LineageEdges : null,
        };
    }

    /// <summary>
    /// The pointer of the physical table <paramref name="table"/> is written at in the run's environment: a model's own
    /// pointer, or its quarantine table's beside it (<see cref="ModelTables.QuarantineLocation"/>); null at its own location.
    /// </summary>
    private static string? PointerOf(RunContext run, TableName table)
    {
        if (run.Tables.Pointer(table) is { } pointer)
        {
            return pointer;
        }

        return Quality.QuarantineTable.TryGetModel(table, out TableName model) && run.Tables.Pointer(model) is { } owner
            ? owner + Quality.QuarantineTable.Suffix
            : null;
    }

    /// <summary>What the run built of model <paramref name="table"/>, as its environment's state with the table it points at; null when the table is not a model's own.</summary>
    private static ModelStateRecord? State(RunContext run, TableName table, List<CatalogColumn> columns)
    {
        if (!run.Fingerprints.TryGet(table, out Planning.ModelFingerprint? fingerprint))
        {
            return null;
        }

        return new ModelStateRecord(
            run.Tables.Environment,
            table,
            fingerprint.Fingerprint,
            fingerprint.DefinitionHash,
            fingerprint.MetadataHash,
            run.Graph.GetModel(table).Sql,
            columns.Select(c => new ModelColumnState(c.Name, c.DataType) { Nullable = c.Nullable }).ToList(),
            run.RunId,
            run.Time.GetUtcNow())
        {
            Location = run.Tables.Pointer(table),
        };
    }

    private static CatalogColumn Column(StructField field, IReadOnlyList<ColumnDoc> docs)
    {
        ColumnDoc? doc = docs.FirstOrDefault(d => string.Equals(d.Name, field.Name, StringComparison.OrdinalIgnoreCase));
        return new CatalogColumn(field.Name, DeltaScanSql.TypeName(field.Type), field.Nullable, doc?.Description, doc?.Classification, doc?.Tags);
    }
}
