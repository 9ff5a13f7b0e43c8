using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.Engine.Scanning;
using Medallion.Pipelines;
using Medallion.Pipelines.Privacy;
using Medallion.Platform.Privacy;

namespace Medallion.Platform;

public sealed partial class Lakehouse
{
    /// <summary>The classification <see cref="ScanPiiAsync"/> suggests for a column of personal identifiers.</summary>
    public const string PiiClassification = "pii";

    /// <summary>
    /// Samples every text column of every built table (or of <paramref name="table"/>) and reports those holding personal
    /// identifiers, with the share of matching values and, for unclassified columns mostly of one kind, a suggested
    /// classification. Each table costs one DuckDB pass over its text columns (a bounded reservoir sample).
    /// </summary>
    /// <param name="table">One table; null for all.</param>
    /// <param name="sampleRows">Rows sampled per table.</param>
    /// <param name="cancellationToken">Stops the scan.</param>
    public async Task<IReadOnlyList<PiiColumnFinding>> ScanPiiAsync(TableName? table = null, int sampleRows = PiiSampler.DefaultSampleRows, CancellationToken cancellationToken = default)
    {
        var findings = new List<PiiColumnFinding>();
        foreach (TableName name in table is { } one ? [one] : TableNames)
        {
            if (await ScanRelationAsync(name, cancellationToken).ConfigureAwait(false) is not { } scan)
            {
                continue;
            }

            IReadOnlyList<ColumnInfo> docs = await DocsAsync(name, scan.Snapshot, cancellationToken).ConfigureAwait(false);
            List<string> text = await PiiSampler.TextColumnsAsync(Connection, scan.Relation, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<PiiColumnSample> samples = await PiiSampler.SampleAsync(
                Connection, scan.Relation, text.Where(c => SystemColumns.Describe(c) is null).ToList(), sampleRows, cancellationToken).ConfigureAwait(false);
            Entry entry = Find(name);
            foreach (PiiColumnSample sample in samples.Where(s => s.Shares.Count > 0))
            {
                string? classification = docs.FirstOrDefault(d => string.Equals(d.Name, sample.Column, StringComparison.OrdinalIgnoreCase))?.Classification;
                findings.Add(new PiiColumnFinding(
                    name,
                    entry.Kind,
                    sample.Column,
                    classification,
                    sample.Sampled,
                    sample.Shares,
                    sample.Dominant,
                    sample.Dominant is not null && classification is null ? PiiClassification : null,
                    entry.Model?.FilePath));
            }
        }

        return findings;
    }

    /// <summary>
    /// Writes the suggested classifications of <paramref name="findings"/> into their models' <c>.sql</c> files, editing
    /// only the lines that change (see <see cref="ModelFileEditor"/>). Findings of sources, of quarantine tables and of
    /// models configured in <c>models/*.yml</c> are left out (their classification lives elsewhere).
    /// </summary>
    /// <returns>The files and columns written, as <c>file: column</c>.</returns>
    public async Task<IReadOnlyList<string>> WriteClassificationsAsync(IEnumerable<PiiColumnFinding> findings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(findings);
        var written = new List<string>();
        foreach (IGrouping<TableName, PiiColumnFinding> byTable in findings.Where(f => f.SuggestedClassification is not null && f.Kind == TableKind.Model).GroupBy(f => f.Table))
        {
            ModelDefinition model = Find(byTable.Key).Model!;
            if (!string.Equals(Path.GetExtension(model.Config.Location.File), ".sql", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            string path = Path.Combine(Project.Directory, model.FilePath);
            string text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            foreach (PiiColumnFinding finding in byTable)
            {
                text = ModelFileEditor.SetClassification(model.FilePath, text, finding.Column, finding.SuggestedClassification!);
                written.Add($"{model.FilePath}: {finding.Column}");
            }

            await File.WriteAllTextAsync(path, text, cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>The table's latest snapshot and the DuckDB query of its rows; null when it is not built.</summary>
    private Task<(DeltaTable Table, Snapshot Snapshot, string Relation)?> ScanRelationAsync(TableName name, CancellationToken cancellationToken) =>
        ScanLocationAsync(Find(name).Location, cancellationToken);

    /// <summary>The latest snapshot of the physical table at <paramref name="location"/> and the DuckDB query of its rows; null when there is none.</summary>
    private async Task<(DeltaTable Table, Snapshot Snapshot, string Relation)?> ScanLocationAsync(string location, CancellationToken cancellationToken)
    {
        if (await OpenDeltaAsync(location, cancellationToken).ConfigureAwait(false) is not { } table)
        {
            return null;
        }

        Snapshot snapshot = await table.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        string scan = await DeltaScanSql.BuildAsync(table, snapshot, cancellationToken: cancellationToken).ConfigureAwait(false);
        return (table, snapshot, "(" + scan + ")");
    }

    /// <summary>The documented columns of a table; a quarantine table has its model's docs.</summary>
    private async Task<IReadOnlyList<ColumnInfo>> DocsAsync(TableName name, Snapshot? snapshot, CancellationToken cancellationToken)
    {
        Entry entry = Find(name);
        TableName documented = name;
        if (entry.Kind == TableKind.Quarantine)
        {
            documented = new TableName(name.Namespace, name.Name[..^QuarantineSuffix.Length]);
            entry = Find(documented);
        }

        List<CatalogColumn> registered = _catalog is null ? [] : await _catalog.Tables.GetColumnsAsync(documented, cancellationToken).ConfigureAwait(false);
        return Columns(documented, entry, snapshot, registered, _docs);
    }
}
