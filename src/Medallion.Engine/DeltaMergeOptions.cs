namespace Medallion.Engine;

/// <summary>What a MERGE does. In <see cref="On"/> the table is <c>target</c> and the source <c>source</c>.</summary>
/// <param name="Source">The source rows: a DuckDB query (see <see cref="DeltaWriter.SourceQuery"/> for files).</param>
/// <param name="On">The match condition, e.g. <c>target.id = source.id</c>.</param>
public sealed record DeltaMergeOptions(string Source, string On)
{
    /// <summary>What to do with target rows a source row matches: nothing, update them from the source (columns by name), or delete them.</summary>
    public DeltaMergeMatchedAction WhenMatched { get; init; } = DeltaMergeMatchedAction.None;

    /// <summary>Insert source rows that match no target row.</summary>
    public bool WhenNotMatchedInsert { get; init; }

    /// <summary>Delete target rows that no source row matches.</summary>
    public bool WhenNotMatchedBySourceDelete { get; init; }

    /// <summary>
    /// A SQL condition over the source row's own columns (unqualified, e.g. <c>op = 'd'</c>): a matched target row whose
    /// source row satisfies it is deleted instead of getting <see cref="WhenMatched"/>, and such a source row is never
    /// inserted. This is how change-data-capture deletes land in the same commit as the upserts.
    /// </summary>
    public string? DeleteWhen { get; init; }

    /// <summary>
    /// <see cref="Source"/> names a DuckDB table (e.g. a temporary table the caller just computed) that nothing changes
    /// until the merge returns. It is then read in place; otherwise the source query is first copied into a temporary
    /// table, so that every pass of the merge sees the same rows.
    /// </summary>
    public bool SourceIsTable { get; init; }
}
