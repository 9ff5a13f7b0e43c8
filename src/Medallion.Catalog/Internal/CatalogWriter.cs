using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using System.Threading.Tasks;

namespace Medallion.Catalog.Internal;

/// <summary>
/// The one writer of a catalog file in this process, shared by every <see cref="CatalogStore"/> open on it. Writes that
/// wait while a transaction commits go together into the next transaction (group commit), each in a savepoint of its
/// own, and each caller hears back only once that transaction is committed.
/// </summary>
/// <remarks>
/// Why: SQLite syncs the file at every commit (several milliseconds), and a writer that finds the file locked by another
/// connection sleeps in Microsoft.Data.Sqlite's busy loop (150 ms a time). A scheduler running many runs at once wrote a
/// dozen small transactions per run from as many connections, so runs spent seconds queueing for the file. Here they
/// queue in memory instead, and a burst of writes costs one sync. Each write is still atomic on its own (its savepoint),
/// and one that fails is rolled back alone and reported to its caller only. Other processes on the same catalog (the CLI,
/// another server) still take turns through the engine's lock (see <see cref="CatalogDialect.BeginWrite"/>).
/// </remarks>
internal sealed class CatalogWriter
{
    // Bounds how long one transaction holds the file, so readers' checkpoints and other processes get their turn.
    private const int MaxWritesPerTransaction = 500;

    private static readonly ConcurrentDictionary<string, CatalogWriter> s_byLocation = new(StringComparer.Ordinal);

    private readonly CatalogDialect _dialect;
    private readonly Lock _gate = new();
    private readonly Queue<Write> _pending = new();
    private bool _draining;

    private CatalogWriter(CatalogDialect dialect) => _dialect = dialect;

    /// <summary>The writer of the catalog <paramref name="dialect"/> reaches (one per <see cref="CatalogDialect.WriterKey"/>).</summary>
    public static CatalogWriter For(CatalogDialect dialect) => s_byLocation.GetOrAdd(dialect.WriterKey, _ => new CatalogWriter(dialect));

    private Exception Translate(Exception failure) => _dialect.Translate(failure, writing: true);

    /// <summary>
    /// Runs <paramref name="work"/> in a transaction with whatever else is waiting, and completes with its result once
    /// that transaction is committed. Writes are applied in the order this method was called.
    /// </summary>
    /// <param name="work">Executes the write's statements on the connection, in the transaction; returns its result (rows changed).</param>
    /// <param name="durable">
    /// True when the caller acts on the write outside the catalog (writes the lake) once it returns: the transaction is
    /// then synced to disk before it completes, with everything committed before it. Other writes are synced at SQLite's
    /// next checkpoint (<c>synchronous=NORMAL</c>): atomic, never corrupting the file, but an OS crash or power loss may
    /// lose the last of them.
    /// </param>
    /// <param name="cancellationToken">Cancels the write while it waits; once its transaction runs, the write goes through.</param>
    public Task<int> WriteAsync(Func<DbConnection, DbTransaction, int> work, bool durable, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var write = new Write(work, durable, cancellationToken);
        bool start;
        lock (_gate)
        {
            _pending.Enqueue(write);
            start = !_draining;
            _draining = true;
        }

        if (start)
        {
            _ = Task.Run(DrainAsync, CancellationToken.None);
        }

        return write.Done.Task;
    }

    private async Task DrainAsync()
    {
        while (true)
        {
            var batch = new List<Write>();
            lock (_gate)
            {
                while (batch.Count < MaxWritesPerTransaction && _pending.TryDequeue(out Write? next))
                {
                    batch.Add(next);
                }

                if (batch.Count == 0)
                {
                    _draining = false;
                    return;
                }
            }

            await CommitAsync(batch).ConfigureAwait(false);
        }
    }

    /// <summary>Commits a batch; never throws: each write's caller gets its result, its own failure, or the transaction's.</summary>
    private async Task CommitAsync(List<Write> batch)
    {
        var results = new int[batch.Count];
        var failures = new Exception?[batch.Count];
        try
        {
            using DbConnection connection = _dialect.CreateConnection();
            await connection.OpenAsync(CancellationToken.None).ConfigureAwait(false);
            _dialect.SetDurability(connection, batch.Exists(w => w.Durable));
            using DbTransaction transaction = _dialect.BeginWrite(connection);
            for (int i = 0; i < batch.Count; i++)
            {
                if (batch[i].Cancellation.IsCancellationRequested)
                {
                    failures[i] = new OperationCanceledException(batch[i].Cancellation);
                    continue;
                }

                const string Savepoint = "catalog_write";
                transaction.Save(Savepoint);
                try
                {
                    results[i] = batch[i].Work(connection, transaction);
                    transaction.Release(Savepoint);
                }
#pragma warning disable CA1031 // Whatever one write throws is its caller's to see; the others in the transaction go on.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    failures[i] = e;
                    // When SQLite rolled the whole transaction back already, this throws and fails the batch below.
                    transaction.Rollback(Savepoint);
                    transaction.Release(Savepoint);
                }
            }

            CrashPoint.Reach("catalog.before-commit");
            transaction.Commit();
            CrashPoint.Reach("catalog.after-commit");
        }
#pragma warning disable CA1031 // Opening, beginning or committing failed: nothing of the batch was written, and every caller is told.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Exception failure = Translate(e);
            foreach (Write write in batch)
            {
                write.Done.TrySetException(failure);
            }

            return;
        }

        for (int i = 0; i < batch.Count; i++)
        {
            if (failures[i] is OperationCanceledException)
            {
                batch[i].Done.TrySetCanceled(batch[i].Cancellation);
            }
            else if (failures[i] is { } failure)
            {
                batch[i].Done.TrySetException(Translate(failure));
            }
            else
            {
                batch[i].Done.TrySetResult(results[i]);
            }
        }
    }

    private sealed record Write(Func<DbConnection, DbTransaction, int> Work, bool Durable, CancellationToken Cancellation)
    {
        public TaskCompletionSource<int> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
