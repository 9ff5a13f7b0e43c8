using System;
using System.Collections.Generic;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// The bronze shape every change stream shares: the change's metadata columns (<c>_op</c>, its position, <c>_seq</c>,
/// <c>_commit_ts</c>, its transaction), then the table's columns as a full load lands them, then the same columns
/// again as <c>_before_&lt;name&gt;</c>, the row before an update or delete (NULL for inserts and snapshot rows).
/// </summary>
internal static class ChangePlan
{
    /// <summary>The prefix of the columns holding a change's before-image.</summary>
    public const string BeforePrefix = "_before_";

    /// <param name="metadata">The change's own columns, first.</param>
    /// <param name="table">The table's columns.</param>
    /// <param name="beforeSelect">What a snapshot query selects for a column's before-image (a typed NULL).</param>
    public static List<ColumnPlan> Build(IReadOnlyList<ColumnPlan> metadata, IReadOnlyList<ColumnPlan> table, Func<ColumnPlan, string> beforeSelect)
    {
        var plan = new List<ColumnPlan>(metadata.Count + (2 * table.Count));
        plan.AddRange(metadata);
        plan.AddRange(table);
        foreach (ColumnPlan column in table)
        {
            plan.Add(column with { Name = BeforePrefix + column.Name, SelectSql = beforeSelect(column) });
        }

        return plan;
    }
}
