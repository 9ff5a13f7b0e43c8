using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;

namespace Medallion.Pipelines.Running;

internal sealed partial class ModelBuilder
{
    private IReadOnlyList<ColumnDoc>? _columnDocs;

    /// <summary>
    /// The model's column docs as the catalog records them, with the classifications its columns inherit: a column that
    /// passes an upstream column's values through unchanged (<see cref="OutputColumn.IsCopy"/>) and declares no
    /// classification of its own takes the upstream column's, so a copy of a masked column is masked too. The model's
    /// quarantine table, which holds the model's own columns, records the same docs.
    /// </summary>
    private async Task<IReadOnlyList<ColumnDoc>> ColumnDocsAsync(CancellationToken cancellationToken)
    {
        if (_columnDocs is not null)
        {
            return _columnDocs;
        }

        List<ColumnDoc> docs = [.. Config.Columns];
        var upstream = new Dictionary<TableName, List<CatalogColumn>>();
        foreach (OutputColumn column in _run.Graph.GetAnalysis(_model.Name).Columns.Where(c => c.IsCopy))
        {
            int at = docs.FindIndex(d => string.Equals(d.Name, column.Name, StringComparison.OrdinalIgnoreCase));
            if (at >= 0 && docs[at].Classification is not null)
            {
                continue;
            }

            string? inherited = null;
            foreach (ColumnReference source in column.Sources)
            {
                inherited ??= await ClassificationOfAsync(source, upstream, cancellationToken).ConfigureAwait(false);
            }

            if (inherited is not null)
            {
                if (at >= 0)
                {
                    docs[at] = docs[at] with { Classification = inherited };
                }
                else
                {
                    docs.Add(new ColumnDoc(column.Name, null, inherited, []));
                }
            }
        }

        return _columnDocs = docs;
    }

    /// <summary>
    /// An upstream column's classification: declared in its model's config (what that model's next build records), else
    /// recorded in the catalog (a source's, or one the upstream model inherited in turn).
    /// </summary>
    private async Task<string?> ClassificationOfAsync(ColumnReference source, Dictionary<TableName, List<CatalogColumn>> recorded, CancellationToken cancellationToken)
    {
        ModelDefinition? model = _run.Project.Models.FirstOrDefault(m => m.Name.Equals(source.Table));
        if (model?.Config.Columns.FirstOrDefault(d => string.Equals(d.Name, source.Column, StringComparison.OrdinalIgnoreCase))?.Classification is { } declared)
        {
            return declared;
        }

        if (!recorded.TryGetValue(source.Table, out List<CatalogColumn>? columns))
        {
            columns = await _run.Catalog.Tables.GetColumnsAsync(source.Table, cancellationToken).ConfigureAwait(false);
            recorded[source.Table] = columns;
        }

        return columns.FirstOrDefault(c => string.Equals(c.Name, source.Column, StringComparison.OrdinalIgnoreCase))?.Classification;
    }
}
