using System;
using Medallion.Catalog;

namespace Medallion.Pipelines.Quality;

/// <summary>
/// Where a model's quarantined rows go: <c>&lt;model&gt;_quarantine</c> in the model's namespace, holding the rows its
/// <c>quarantine</c> rules set aside with the model's own columns (so it holds the same kind of data, and inherits the
/// model's column classifications).
/// </summary>
public static class QuarantineTable
{
    /// <summary>The suffix of a quarantine table's name.</summary>
    public const string Suffix = "_quarantine";

    /// <summary>The quarantine table of <paramref name="model"/>.</summary>
    public static TableName Of(TableName model) => new(model.Namespace, model.Name + Suffix);

    /// <summary>The model whose quarantine table <paramref name="table"/> would be, by its name; false for any other name.</summary>
    public static bool TryGetModel(TableName table, out TableName model)
    {
        if (table.Name.Length > Suffix.Length && table.Name.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase))
        {
            model = new TableName(table.Namespace, table.Name[..^Suffix.Length]);
            return true;
        }

        model = default;
        return false;
    }
}
