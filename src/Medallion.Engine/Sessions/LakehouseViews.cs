using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;
using Medallion.Engine.Delta;

namespace Medallion.Engine.Sessions;

/// <summary>
/// The views <c>namespace.table</c> that show each lakehouse table at its latest version, kept in one
/// DuckDB database and shared by every session on it. A view is replaced only when its table has a
/// newer version, under a lock, so concurrent sessions never race on the same DDL.
/// </summary>
#pragma warning disable CA1001 // The semaphore never allocates a wait handle (no AvailableWaitHandle), so it holds nothing to dispose; the views live as long as their database.
internal sealed class LakehouseViews
#pragma warning restore CA1001
{
    private static readonly ConditionalWeakTable<DuckDbDatabase, LakehouseViews> s_byDatabase = [];

    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, long> _versions = new(StringComparer.OrdinalIgnoreCase);

    public static LakehouseViews For(DuckDbDatabase database) => s_byDatabase.GetValue(database, _ => new LakehouseViews());

    /// <summary>Makes the view of <paramref name="table"/> show its latest version; returns that version.</summary>
    public async Task<long> EnsureLatestAsync(LakehouseTable table, DuckDbConnection connection, CancellationToken cancellationToken)
    {
        var delta = new DeltaTable(table.Store, new DuckDbParquetHandler(connection));
        Snapshot snapshot = await delta.GetSnapshotAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_versions.TryGetValue(table.QualifiedName, out long current) && current == snapshot.Version)
            {
                return current;
            }

            string scan = DeltaScanSql.Build(await delta.PlanScanAsync(snapshot, cancellationToken: cancellationToken).ConfigureAwait(false));
            string name = DuckDbConnection.QuoteIdentifier(table.Namespace) + "." + DuckDbConnection.QuoteIdentifier(table.Name);
            using DuckDbCommand command = connection.CreateCommand();
            command.CommandText =
                $"CREATE SCHEMA IF NOT EXISTS {DuckDbConnection.QuoteIdentifier(table.Namespace)}; " +
                $"CREATE OR REPLACE VIEW {name} AS {scan}; " +
                $"COMMENT ON VIEW {name} IS {DuckDbConnection.QuoteLiteral(Comment(table, snapshot.Version))}";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _versions[table.QualifiedName] = snapshot.Version;
            return snapshot.Version;
        }
        finally
        {
            _lock.Release();
        }
    }

    private static string Comment(LakehouseTable table, long version) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{LakehouseSession.ViewCommentPrefix}{table.QualifiedName}, version {version}");
}
