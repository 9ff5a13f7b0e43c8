using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Medallion.Catalog.Internal;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;

namespace Medallion.Catalog;

public sealed partial class CatalogStore
{
    // Runs pruned per write: one write holds the catalog's one writer, and runs wait for it.
    private const int PruneBatch = 2000;

    /// <summary>
    /// The finished runs that started before the cutoff and that nothing needs: a run that is running or queued stays, and
    /// so do the latest run of each job (and of manual runs), the newest scheduled interval of each job (the scheduler
    /// plans the next fire time from it), the newest run of each model and its newest success (an incremental model
    /// resumes from its upstream versions), the newest pass into each source table, and the runs of a backfill still going.
    /// </summary>
    private const string PrunableRuns = """
        SELECT id FROM runs
        WHERE started_at < @before AND status NOT IN ('running', 'queued')
          AND id NOT IN (SELECT max(id) FROM runs GROUP BY job)
          AND id NOT IN (SELECT r.id FROM runs r JOIN (SELECT job, max(interval_end) AS last_end FROM runs WHERE trigger = 'schedule' GROUP BY job) s
                         ON s.job = r.job AND r.interval_end = s.last_end AND r.trigger = 'schedule')
          AND id NOT IN (SELECT max(run_id) FROM model_runs GROUP BY model)
          AND id NOT IN (SELECT max(run_id) FROM model_runs WHERE status = 'succeeded' GROUP BY model)
          AND id NOT IN (SELECT max(run_id) FROM source_runs GROUP BY target)
          AND id NOT IN (SELECT max(run_id) FROM source_runs WHERE position IS NOT NULL GROUP BY target)
          AND (backfill_id IS NULL OR backfill_id NOT IN (SELECT id FROM backfills WHERE finished_at IS NULL))
        ORDER BY id
        """;

    /// <summary>
    /// Prunes the run history, as <c>airflow db clean</c> does: the finished runs that started before
    /// <paramref name="before"/>, with their models, source passes, attempts, logs and quality results, the catalog's
    /// records of the table versions they committed (never a table's latest), and the finished backfills left with no
    /// run. Runs that are running or queued, the latest run of each job, and the last runs that built each model or fed
    /// each source table stay whatever their age (see the remarks). The freed pages go back to the disk.
    /// </summary>
    /// <remarks>
    /// Kept runs: what the scheduler plans from (the newest run and scheduled interval of each job), what <c>rerun</c>
    /// and <c>describe</c> show, what an incremental model resumes from (its newest success), what <c>/metrics</c>
    /// reports per source table, and the runs of a backfill that has not finished. The table data those runs wrote is
    /// not touched. Deletes go in batches, so runs writing meanwhile wait at most for one batch.
    /// </remarks>
    /// <param name="before">Runs that started before this instant may go.</param>
    /// <param name="dryRun">Count what would go and change nothing.</param>
    /// <param name="cancellationToken">Stops between batches; what was deleted stays deleted.</param>
    public async Task<RunPruning> PruneRunsAsync(DateTimeOffset before, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        var total = new RunPruning(before, dryRun, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        long sizeBefore = FileSize();
        if (dryRun)
        {
            try
            {
                using SqliteConnection connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                using SqliteTransaction snapshot = connection.BeginTransaction(deferred: true);
                return Add(total, PruneBatchOf(connection, snapshot, before, int.MaxValue, delete: false));
            }
            catch (SqliteException e)
            {
                throw CatalogFailure.Translate(e, Path, writing: false);
            }
        }

        while (true)
        {
            RunPruning batch = null!;
            await _writer.WriteAsync((connection, transaction) =>
            {
                batch = PruneBatchOf(connection, transaction, before, PruneBatch, delete: true);
                return batch.Runs;
            }, durable: false, cancellationToken).ConfigureAwait(false);
            total = Add(total, batch) with { KeptRuns = batch.KeptRuns };
            if (batch.Runs < PruneBatch)
            {
                break;
            }
        }

        if (total.Runs == 0)
        {
            return total;
        }

        await ReclaimSpaceAsync(cancellationToken).ConfigureAwait(false);
        return total with { BytesFreed = Math.Max(0, sizeBefore - FileSize()) };
    }

    private static RunPruning Add(RunPruning total, RunPruning batch) => total with
    {
        Runs = total.Runs + batch.Runs,
        ModelRuns = total.ModelRuns + batch.ModelRuns,
        SourceRuns = total.SourceRuns + batch.SourceRuns,
        Attempts = total.Attempts + batch.Attempts,
        Logs = total.Logs + batch.Logs,
        QualityResults = total.QualityResults + batch.QualityResults,
        TableVersions = total.TableVersions + batch.TableVersions,
        Backfills = total.Backfills + batch.Backfills,
        KeptRuns = batch.KeptRuns,
    };

    /// <summary>Counts (and deletes, unless told not to) up to <paramref name="limit"/> prunable runs and what belongs to them, in the caller's transaction.</summary>
    private static RunPruning PruneBatchOf(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset before, int limit, bool delete)
    {
        (string, object?)[] cutoff = [("@before", FormatTime(before))];
        var ids = new List<string>();
        using (SqliteCommand select = CreateCommand(connection, transaction, PrunableRuns + " LIMIT @limit", [.. cutoff, ("@limit", limit)]))
        using (SqliteDataReader reader = select.ExecuteReader())
        {
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
        }

        // The ids travel as one JSON array parameter (json_each), not as thousands of parameters.
        (string, object?)[] set = [("@ids", CatalogJson.WriteStrings(ids))];
        const string InSet = "IN (SELECT value FROM json_each(@ids))";
        // A table version's record goes with its run unless it is the table's latest.
        const string PrunableVersions = $"""
            FROM table_versions WHERE run_id {InSet}
              AND version < (SELECT max(v.version) FROM table_versions v WHERE v.namespace = table_versions.namespace AND v.table_name = table_versions.table_name)
            """;
        int Count(string from) => Convert.ToInt32(Scalar(connection, transaction, "SELECT count(*) " + from, set), CultureInfo.InvariantCulture);
        var batch = new RunPruning(before, !delete,
            ids.Count,
            Count($"FROM model_runs WHERE run_id {InSet}"),
            Count($"FROM source_runs WHERE run_id {InSet}"),
            Count($"FROM run_attempts WHERE run_id {InSet}"),
            Count($"FROM run_logs WHERE run_id {InSet}"),
            Count($"FROM quality_results WHERE run_id {InSet}"),
            Count(PrunableVersions),
            0,
            0,
            0);
        // Finished backfills older than the cutoff whose every run is (or would be) gone.
        string emptyBackfills = $"""
            FROM backfills WHERE finished_at IS NOT NULL AND created_at < @before
              AND NOT EXISTS (SELECT 1 FROM runs WHERE runs.backfill_id = backfills.id AND runs.id NOT {InSet})
            """;
        int keptRuns = Convert.ToInt32(Scalar(connection, transaction,
            "SELECT count(*) FROM runs WHERE started_at < @before AND id NOT IN (" + PrunableRuns + ")", cutoff), CultureInfo.InvariantCulture);
        batch = batch with
        {
            Backfills = Convert.ToInt32(Scalar(connection, transaction, "SELECT count(*) " + emptyBackfills, [.. cutoff, .. set]), CultureInfo.InvariantCulture),
            KeptRuns = keptRuns,
        };
        if (delete && ids.Count > 0)
        {
            // Model runs, source runs, attempts and logs go with their run (ON DELETE CASCADE); the rest name it by id only.
            Execute(connection, transaction, "DELETE " + PrunableVersions, set);
            Execute(connection, transaction, $"DELETE FROM quality_results WHERE run_id {InSet}", set);
            Execute(connection, transaction, "DELETE " + emptyBackfills, [.. cutoff, .. set]);
            Execute(connection, transaction, $"DELETE FROM runs WHERE id {InSet}", set);
        }

        return batch;
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction transaction, string sql, (string Name, object? Value)[] parameters)
    {
        using SqliteCommand command = CreateCommand(connection, transaction, sql, parameters);
        return command.ExecuteScalar();
    }

    /// <summary>
    /// Gives the catalog's free pages back to the disk: <c>PRAGMA incremental_vacuum</c>, then a passive checkpoint that
    /// copies the write-ahead log into the file, which shrinks once every frame is copied. Passive, because a blocking
    /// one would hold the runs' writes while it waits for readers; one that could not copy everything leaves the
    /// shrinking to SQLite's next checkpoint. A catalog made before incremental auto-vacuum is converted once (<c>VACUUM</c>
    /// rewrites it, holding writers for as long).
    /// </summary>
    private async Task ReclaimSpaceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReclaimFreePagesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException e)
        {
            throw CatalogFailure.Translate(e, Path, writing: true);
        }
    }

    private async Task ReclaimFreePagesAsync(CancellationToken cancellationToken)
    {
        using SqliteConnection connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using (SqliteCommand mode = connection.CreateCommand())
        {
            mode.CommandText = "PRAGMA auto_vacuum";
            if (Convert.ToInt64(await mode.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) != 2)
            {
                mode.CommandText = "PRAGMA auto_vacuum=INCREMENTAL; VACUUM";
                await mode.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        using SqliteCommand reclaim = connection.CreateCommand();
        reclaim.CommandText = "PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(PASSIVE)";
        await reclaim.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private long FileSize() => File.Exists(Path) ? new FileInfo(Path).Length : 0;
}
