using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Contracts;

namespace Medallion.Platform;

public sealed partial class Lakehouse
{
    /// <summary>
    /// A model's data contract as an Open Data Contract Standard v3 document (YAML): what its config and contract
    /// document declare, with the type of each column it does not type taken from the table as built (so a first export
    /// describes the table as it is), starting from the document the project keeps for it, if any.
    /// </summary>
    /// <param name="name">A model of the project (see <see cref="ResolveTable"/>).</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.CatalogObjectNotFound"/> when no model writes the table.</exception>
    public async Task<string> ExportContractAsync(TableName name, CancellationToken cancellationToken = default)
    {
        ModelDefinition model = Project.Models.FirstOrDefault(m => m.Name.Equals(name))
            ?? throw new MedallionException(ErrorCode.CatalogObjectNotFound,
                $"{name} is not a model, so it has no contract to export.{NameSuggester.DidYouMeanTable(name.ToString(), Project.Models.Select(m => m.Name.ToString()))}\nHelp: name a table a models/<namespace>/<name>.sql file writes.");
        IReadOnlyList<ColumnInfo> built = await OpenDeltaAsync(Find(name).Location, cancellationToken).ConfigureAwait(false) is null
            ? []
            : await GetColumnsAsync(name, cancellationToken).ConfigureAwait(false);
        string? kept = OdcsExport.FindDocument(Project.Directory, name);
        return OdcsExport.Write(Project.Name, model with { Config = model.Config with { Columns = WithBuiltTypes(model.Config.Columns, built) } },
            kept is null ? null : await File.ReadAllTextAsync(kept, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The declared columns, each untyped one typed as built, then the built columns the config does not declare.</summary>
    private static List<ColumnDoc> WithBuiltTypes(IReadOnlyList<ColumnDoc> declared, IReadOnlyList<ColumnInfo> built)
    {
        built = [.. built.Where(b => b.DataType.Length > 0)];
        ColumnInfo? Built(string column) => built.FirstOrDefault(b => string.Equals(b.Name, column, StringComparison.OrdinalIgnoreCase));
        List<ColumnDoc> columns = [.. declared.Select(c => c.DataType is null && Built(c.Name) is { } b ? c with { DataType = b.DataType } : c)];
        columns.AddRange(built
            .Where(b => !declared.Any(c => string.Equals(c.Name, b.Name, StringComparison.OrdinalIgnoreCase)))
            .Select(b => new ColumnDoc(b.Name, b.Description, b.Classification, b.Tags) { DataType = b.DataType }));
        return columns;
    }
}
