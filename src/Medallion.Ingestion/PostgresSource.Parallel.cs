using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Ingestion.Internal;
using Npgsql;

namespace Medallion.Ingestion;

public sealed partial class PostgresSource
{
    /// <summary>
    /// A full load read by <see cref="SourceTableOptions.Parallelism"/> binary COPYs at once, each over a part of the
    /// table, on connections that share one snapshot: the first connection opens a REPEATABLE READ transaction and
    /// exports its snapshot (<c>pg_export_snapshot()</c>), the others import it (<c>SET TRANSACTION SNAPSHOT</c>) before
    /// any COPY starts, so together they read the table exactly as it was at one instant.
    /// </summary>
    /// <remarks>
    /// The parts are ranges of pages (<c>ctid</c> ranges, which PostgreSQL 14 and later scan as TID range scans) of a
    /// table or materialized view, so each reads about as many bytes and no index is needed; otherwise (a partitioned
    /// table, or an older server) ranges of a primary key of one integer column, split evenly between its least and
    /// greatest value; otherwise the table is read by one COPY. A table is split into parts of at least 1 MB, so a small one is read by one COPY.
    /// </remarks>
    private async IAsyncEnumerable<SourceBatch> ReadInPartsAsync(DuckDbConnection target, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<IAsyncEnumerable<SourceBatch>> parts;
        var connections = new List<NpgsqlConnection>();
        var readers = new List<IRowReader>();
        try
        {
            NpgsqlConnection first = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            connections.Add(first);
            await QueryAsync(first, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [], _ => 0, cancellationToken).ConfigureAwait(false);
            // The snapshot is taken by the transaction's first query: everything below, in every connection, sees it.
            string snapshot = (await QueryAsync(first, "SELECT pg_export_snapshot()", [], r => r.GetString(0), cancellationToken).ConfigureAwait(false))[0];
            (uint relation, List<PgColumn> columns) = await DescribeAsync(first, cancellationToken).ConfigureAwait(false);
            List<ColumnPlan> plan = columns.ConvertAll(c => PlanColumn(c, fromText: false));

            IReadOnlyList<string?> ranges = await SplitAsync(first, relation, columns, _options.Parallelism, cancellationToken).ConfigureAwait(false);
            for (int i = 1; i < ranges.Count; i++)
            {
                NpgsqlConnection other = await ConnectAsync(cancellationToken).ConfigureAwait(false);
                connections.Add(other);
                await QueryAsync(other, $"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {PostgresSql.QuoteLiteral(snapshot)}", [], _ => 0, cancellationToken).ConfigureAwait(false);
            }

            string select = string.Join(", ", plan.Select(c => c.SelectSql));
            for (int i = 0; i < ranges.Count; i++)
            {
                string sql = $"COPY (SELECT {select} FROM {QuotedTable}{(ranges[i] is { } where ? " WHERE " + where : string.Empty)}) TO STDOUT (FORMAT BINARY)";
                LogMessages.Reading(_logger, _options.SourceName, TableName, _options.Mode, sql);
                // The reader owns its connection from here on, also when starting it fails.
                NpgsqlConnection connection = connections[0];
                connections.RemoveAt(0);
                readers.Add(await PostgresRowReader.StartAsync(connection, sql, plan, null, _options.SourceName, TableName, cancellationToken).ConfigureAwait(false));
            }

            parts = readers.ConvertAll(reader => BatchStreamer.StreamAsync(_options, TableName, target, new ReadPlan(plan, reader, null), _logger, snapshotAt: null, CancellationToken.None));
        }
        catch
        {
            foreach (IRowReader reader in readers)
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }

            foreach (NpgsqlConnection connection in connections)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        await foreach (SourceBatch batch in BatchMerger.MergeAsync(parts, _options.Mode, cancellationToken).ConfigureAwait(false))
        {
            yield return batch;
        }
    }

    /// <summary>The fewest pages (8 kB each by default) a part of a split by pages holds: a smaller table is read by fewer COPYs, each worth its connection.</summary>
    private const long MinPagesPerPart = 128;

    /// <summary>
    /// The parts of the table to read at once, as <c>WHERE</c> conditions (one null part: the whole table), at most
    /// <paramref name="parallelism"/>; read in the snapshot's transaction, so the bounds are the snapshot's.
    /// </summary>
    private async Task<IReadOnlyList<string?>> SplitAsync(NpgsqlConnection connection, uint relation, List<PgColumn> columns, int parallelism, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT c.relkind::text, pg_relation_size(c.oid) / current_setting('block_size')::bigint, current_setting('server_version_num')::int
            FROM pg_class c WHERE c.oid = $1
            """;
        (string kind, long pages, int version) = (await QueryAsync(connection, Sql, [relation], r => (r.GetString(0), r.GetInt64(1), r.GetInt32(2)), cancellationToken).ConfigureAwait(false))[0];
        string from = QuotedTable;
        if (kind is "r" or "m" or "p")
        {
            // Held to the end of the transaction: a TRUNCATE (not MVCC-safe) cannot empty the table under the parts
            // that start after this, nor a rewrite move rows between the ranges.
            await QueryAsync(connection, $"LOCK TABLE {from} IN ACCESS SHARE MODE", [], _ => 0, cancellationToken).ConfigureAwait(false);
        }

        if (parallelism < 2)
        {
            return [null];
        }

        if (kind is "r" or "m" && version >= 140000)
        {
            // Pages added after the snapshot hold no row it sees, yet the last part is open-ended anyway.
            int count = (int)Math.Min(parallelism, pages / MinPagesPerPart);
            return count < 2 ? [null] : Ranges(count, i => pages * i / count, bound => $"'({bound},0)'::tid", "ctid");
        }

        IReadOnlyList<string> key = await PrimaryKeyAsync(connection, relation, cancellationToken).ConfigureAwait(false);
        if (key.Count != 1 || columns.Find(c => c.Name == key[0]) is not { TypeName: "int2" or "int4" or "int8" })
        {
            return [null];
        }

        string column = PostgresSql.QuoteIdentifier(key[0]);
        (long? least, long? greatest) = (await QueryAsync(connection, $"SELECT min({column})::bigint, max({column})::bigint FROM {from}", [], r =>
            (r.IsDBNull(0) ? (long?)null : r.GetInt64(0), r.IsDBNull(1) ? (long?)null : r.GetInt64(1)), cancellationToken).ConfigureAwait(false))[0];
        if (least is not long low || greatest is not long high)
        {
            return [null];
        }

        // Int128: the span of a bigint key may not fit a long.
        Int128 span = (Int128)high - low + 1;
        int parts = (int)Int128.Min(parallelism, span);
        return parts < 2 ? [null] : Ranges(parts, i => (long)(low + span * i / parts), bound => bound.ToString(CultureInfo.InvariantCulture), column);
    }

    /// <summary>Conditions on <paramref name="column"/> for <paramref name="count"/> consecutive ranges; the first and last are open-ended.</summary>
    private static string?[] Ranges(int count, Func<int, long> bound, Func<long, string> literal, string column)
    {
        var ranges = new string?[count];
        for (int i = 0; i < count; i++)
        {
            string? lower = i == 0 ? null : $"{column} >= {literal(bound(i))}";
            string? upper = i == count - 1 ? null : $"{column} < {literal(bound(i + 1))}";
            ranges[i] = lower is null ? upper : upper is null ? lower : lower + " AND " + upper;
        }

        return ranges;
    }
}
