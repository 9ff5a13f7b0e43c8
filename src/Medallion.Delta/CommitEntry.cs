using System;
using System.Collections.Generic;
using System.Linq;
using Medallion.Delta.Actions;

namespace Medallion.Delta;

/// <summary>One commit of a table's history.</summary>
/// <param name="Version">The commit version.</param>
/// <param name="Timestamp">The commit time: the in-commit timestamp when present, else the commit file's modification time.</param>
/// <param name="CommitInfo">The commit's <c>commitInfo</c>, if it has one.</param>
public sealed record CommitEntry(long Version, DateTimeOffset Timestamp, CommitInfo? CommitInfo)
{
    /// <summary>Every action of the commit in log order (<c>add</c>s with their stats, <c>remove</c>s, <c>metaData</c>, ...):
    /// what data observability reads instead of scanning the table.</summary>
    public IReadOnlyList<DeltaAction> Actions { get; init; } = [];

    /// <summary>The application transactions (<c>txn</c> actions) the commit records: each application id with its version.</summary>
    public IReadOnlyDictionary<string, long> Transactions =>
        Actions.OfType<Txn>().GroupBy(t => t.AppId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last().Version, StringComparer.Ordinal);
}
