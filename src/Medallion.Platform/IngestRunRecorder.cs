using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines.Sources;

namespace Medallion.Platform;

/// <summary>
/// Keeps the source passes of one run in the catalog, numbered per table from 1: the ingest command's run, or a
/// scheduler's continuous run, whose attempts share one recorder so that numbering goes on across restarts. The
/// caller owns the run (starts and finishes it); <see cref="SourceIngestion.StreamAsync"/> records through this.
/// </summary>
/// <param name="catalog">The project's catalog.</param>
/// <param name="runId">The run the passes belong to.</param>
/// <param name="time">The clock that stamps each pass.</param>
public sealed class IngestRunRecorder(CatalogStore catalog, string runId, TimeProvider time)
{
    /// <summary>A continuous ingest keeps a quiet pass only when the slot's lag moved by this much since the table's last kept pass.</summary>
    private const long LagWorthKeepingBytes = 1024 * 1024;

    private readonly Dictionary<TableName, (long Pass, long? Lag)> _last = [];

    /// <summary>The run the passes belong to.</summary>
    public string RunId { get; } = runId;

    /// <summary>
    /// Whether a continuous pass is worth keeping: it moved rows, is the table's first in this run, or the slot's lag
    /// moved by a megabyte or more since the table's last kept pass. A stream makes a pass every interval; the quiet
    /// ones would bury the ones that did something.
    /// </summary>
    /// <param name="result">The pass.</param>
    public bool IsWorthKeeping(DatabaseTableResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.Result.Rows > 0
            || !_last.TryGetValue(result.Target, out (long Pass, long? Lag) last)
            || Math.Abs((result.SlotLagBytes ?? 0) - (last.Lag ?? 0)) >= LagWorthKeepingBytes;
    }

    /// <summary>Records the pass as its table's next in the run.</summary>
    /// <param name="result">The pass.</param>
    /// <param name="cancellationToken">Stops the write; callers pass none when the pass's rows are committed, so the catalog knows every committed pass.</param>
    /// <returns>The pass as recorded.</returns>
    public async Task<SourceRunRecord> RecordAsync(DatabaseTableResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        long pass = _last.TryGetValue(result.Target, out (long Pass, long? Lag) last) ? last.Pass + 1 : 1;
        _last[result.Target] = (pass, result.SlotLagBytes);
        SourceRunRecord record = result.ToRecord(RunId, pass, time.GetUtcNow());
        await catalog.Runs.RecordSourceRunAsync(record, cancellationToken).ConfigureAwait(false);
        return record;
    }
}
