using System.Collections.Generic;

namespace Medallion.PgWire.Internal;

/// <summary>The answer to a statement the server handles itself: a tag and, for SHOW, text columns and rows.</summary>
internal sealed record CommandResult(string Tag, IReadOnlyList<string>? ColumnNames = null, IReadOnlyList<string?[]>? Rows = null)
{
    public bool HasRows => ColumnNames is not null;
}
