using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Schema;
using Medallion.Delta.Snapshots;
using Medallion.Engine;

namespace Medallion.Pipelines.Running;

internal sealed partial class ModelBuilder
{
    private const string StagedRows = "__medallion_staged";

    /// <summary>
    /// True when the model's rows can go straight from its SELECT into the table's data files, checked there before
    /// the commit: no rule moves rows aside (quarantine), and the write is a plain append or overwrite (an incremental
    /// merge and an scd2 history merge read the result more than once, so they keep the candidate), and it replaces no
    /// data interval (whose rows are checked against the interval before the write).
    /// </summary>
    private bool CanStream(bool incremental, Snapshot? target) =>
        _interval is null
        && !Config.Expectations.Any(e => e.Severity == ExpectationSeverity.Quarantine)
        && (target is null || target.ColumnMappingMode == ColumnMappingMode.None)
        && Config.Materialized switch
        {
            Materialization.Table or Materialization.Append => true,
            Materialization.Merge => !incremental,
            Materialization.Scd2 => target is null || _run.Options.FullRefresh,
            _ => false,
        };

    /// <summary>
    /// Computes the model once, writing its rows to data files that are not yet part of the table, then checks the
    /// written rows (unique keys, expectations) and commits them only when they pass; a refused write deletes its
    /// files, so the table stays as it was. Saves the candidate's second pass and its memory on large results.
    /// </summary>
    private async Task<DeltaOperationResult?> BuildStreamedAsync(Snapshot? target, bool incremental, CancellationToken cancellationToken)
    {
        await CreateCandidateAsync("VIEW", cancellationToken).ConfigureAwait(false);
        List<string> columns = await CandidateColumnsAsync(cancellationToken).ConfigureAwait(false);
        ValidateColumns(columns, target);
        (string rows, DeltaWriteMode mode) = RowsToWrite($"SELECT * FROM {CandidateTable}", columns, target, incremental);
        if (await RunWriteOptionsAsync(mode, target, cancellationToken).ConfigureAwait(false) is not { } options)
        {
            return null;
        }

        DeltaStagedWrite staged = await _writer.BeginWriteAsync(_location, options, cancellationToken).ConfigureAwait(false);
        // Disposing abandons the write (deletes its files) unless it reached its commit.
        await using (staged.ConfigureAwait(false))
        {
            await RunModelAsync(() => staged.AddAsync(rows, cancellationToken), cancellationToken).ConfigureAwait(false);
            await ExecuteAsync($"CREATE OR REPLACE TEMP VIEW {StagedRows} AS {staged.AddedRowsSql()}", cancellationToken).ConfigureAwait(false);
            await ValidateKeysAsync(StagedRows, cancellationToken).ConfigureAwait(false);
            // The staged rows are exactly the rows written, so a full build's are the whole table.
            await CheckQualityAsync(StagedRows, EstimatedColumns(columns, !incremental), incremental, cancellationToken).ConfigureAwait(false);
            if (incremental && staged.RowCount == 0)
            {
                return null;
            }

            foreach ((string name, string value) in _distinctMetrics)
            {
                staged.SetMetric(name, value);
            }

            return await staged.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
