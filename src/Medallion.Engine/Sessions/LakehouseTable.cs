using System.Collections.Generic;
using Medallion.Storage;

namespace Medallion.Engine.Sessions;

/// <summary>A Delta table the lakehouse knows, by the name SQL uses for it: <c>namespace.name</c>.</summary>
/// <param name="Namespace">The namespace (bronze, silver, gold, ...), a schema in SQL.</param>
/// <param name="Name">The table's name within its namespace.</param>
/// <param name="Store">The object store rooted at the table's location.</param>
public sealed record LakehouseTable(string Namespace, string Name, IObjectStore Store)
{
    /// <summary>The name as SQL writes it, e.g. <c>silver.orders</c>.</summary>
    public string QualifiedName => Namespace + "." + Name;

    /// <summary>
    /// The columns that identify a row, in key order, when the table has such a key (a merge model's
    /// <c>unique_key</c>); empty otherwise. SQL clients see it as the table's primary key.
    /// </summary>
    public IReadOnlyList<string> UniqueKey { get; init; } = [];
}
