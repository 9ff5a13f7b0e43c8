using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;

namespace Medallion.Server.Scheduling;

/// <summary>
/// One writer per table across the scheduler's runs: a run takes the lock of every table it may write before it starts,
/// so a second run that writes one of them waits instead of failing on a Delta conflict. Locks are taken in name order,
/// so two runs can never hold one each and wait for the other's.
/// </summary>
internal sealed class TableLocks
{
    private readonly Dictionary<TableName, SemaphoreSlim> _locks = [];

    /// <summary>Waits for every table's lock; disposing the result releases them.</summary>
    public async Task<IDisposable> AcquireAsync(IEnumerable<TableName> tables, CancellationToken cancellationToken)
    {
        var taken = new List<SemaphoreSlim>();
        try
        {
            foreach (TableName table in tables.Distinct().OrderBy(t => t.ToString(), StringComparer.OrdinalIgnoreCase))
            {
                SemaphoreSlim gate;
                lock (_locks)
                {
                    if (!_locks.TryGetValue(table, out gate!))
                    {
                        gate = new SemaphoreSlim(1, 1);
                        _locks[table] = gate;
                    }
                }

                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                taken.Add(gate);
            }

            return new Held(taken);
        }
        catch
        {
            new Held(taken).Dispose();
            throw;
        }
    }

    private sealed class Held(List<SemaphoreSlim> gates) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gates.ForEach(g => g.Release());
            }
        }
    }
}
