using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog.Internal;

namespace Medallion.Catalog;

/// <summary>How many rows of one catalog table a copy read and wrote.</summary>
/// <param name="Table">The catalog table.</param>
/// <param name="Rows">Its rows in the source, as read in one snapshot.</param>
/// <param name="Copied">Its rows in the target once copied, counted in the copy's transaction before it commits.</param>
public sealed record CatalogTableCopy(string Table, long Rows, long Copied);

/// <summary>
/// Moves a catalog to another engine or place: a project's SQLite file into the PostgreSQL database its servers will
/// share (<c>medallion catalog copy --to postgres://...</c>), or back. Every record goes (tables, runs and their logs,
/// jobs' states, backfills, users, tokens, grants, masks and the masking key, quality results, lineage, alert states)
/// except the scheduler's lease, which belongs to a running server of the source.
/// </summary>
/// <remarks>
/// The source is read in one snapshot, so runs recorded meanwhile are either wholly in the copy or not at all (stop the
/// servers first so none is left out). The target is written in one transaction, refused unless it holds no records, and
/// its counts are checked against the source's before that transaction commits: a copy is whole or absent.
/// </remarks>
public static class CatalogCopy
{
    // Parents before children (the foreign keys); every table of the schema but RuntimeTables, which the catalog contract
    // checks against the schema so a new table is not left out.
    internal static readonly string[] Tables =
    [
        "namespaces", "tables", "columns", "table_versions",
        "runs", "model_runs", "source_runs", "run_attempts", "run_logs", "quality_results", "lineage_edges",
        "backfills", "job_state",
        "users", "api_tokens", "server_actions",
        "access_roles", "access_members", "access_grants", "access_masks", "access_row_filters", "access_keys",
        "alert_states", "doc_edits", "saved_queries", "environment_models", "environment_tables",
    ];

    /// <summary>
    /// What only describes the processes on the catalog now (the schema's version, the scheduler lease, the servers and
    /// their heartbeats): not copied, since the target's servers are yet to start.
    /// </summary>
    internal static readonly string[] RuntimeTables = ["schema_version", "leases", "servers"];

    // Rows per INSERT: few statements, and far below either engine's limit on parameters (at most 12 columns here).
    private const int RowsPerInsert = 200;

    /// <summary>Copies every record of <paramref name="source"/> into <paramref name="target"/>, which must hold none.</summary>
    /// <param name="source">The catalog to copy; it is only read.</param>
    /// <param name="target">A new or empty catalog, opened (and so migrated to this Medallion's schema).</param>
    /// <param name="cancellationToken">Stops the copy before its transaction commits; the target then stays empty.</param>
    /// <returns>Each table's rows in the source and in the target.</returns>
    /// <exception cref="MedallionException">
    /// <see cref="ErrorCode.CatalogCopyRefused"/> when the target is the source or already holds records (naming the
    /// tables), or when a count differs after the copy (nothing is then committed); the catalogs' own read and write errors.
    /// </exception>
    public static async Task<IReadOnlyList<CatalogTableCopy>> CopyAsync(CatalogStore source, CatalogStore target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (string.Equals(source.Path, target.Path, StringComparison.Ordinal))
        {
            throw new MedallionException(ErrorCode.CatalogCopyRefused, $"The catalog '{source.Path}' cannot be copied onto itself.\nHelp: name another database or file with --to.");
        }

        CatalogDatabase from = source.Database;
        CatalogDatabase to = target.Database;
        using DbConnection reading = await from.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using DbTransaction snapshot = from.Dialect.BeginSnapshot(reading);
        var copies = new List<CatalogTableCopy>();
        try
        {
            await to.WriteAsync((connection, transaction) =>
            {
                string[] occupied = [.. Tables.Where(table => Count(connection, transaction, table) > 0)];
                if (occupied.Length > 0)
                {
                    throw new MedallionException(
                        ErrorCode.CatalogCopyRefused,
                        $"The catalog '{target.Path}' already holds records (in {string.Join(", ", occupied)}); a copy goes only into an empty catalog, so nothing was copied.\nHelp: copy into a new database (createdb ...), or drop this one's tables first if it is a copy you mean to redo.");
                }

                foreach (string table in Tables)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long rows = Count(reading, snapshot, table);
                    CopyTable(reading, snapshot, connection, transaction, table);
                    copies.Add(new CatalogTableCopy(table, rows, Count(connection, transaction, table)));
                }

                CatalogTableCopy[] differing = [.. copies.Where(c => c.Rows != c.Copied)];
                return differing.Length == 0 ? 0 : throw new MedallionException(
                    ErrorCode.CatalogCopyRefused,
                    $"The copy of '{source.Path}' to '{target.Path}' did not match, so nothing was kept: {string.Join(", ", differing.Select(c => $"{c.Table} {c.Rows} read, {c.Copied} written"))}.\nHelp: another process may be writing the target; stop it and copy again.");
            }, durable: true, nameof(CopyAsync), cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw from.Dialect.Translate(e, writing: false);
        }

        try
        {
            using DbConnection analyzing = await to.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await to.Dialect.RefreshStatisticsAsync(analyzing, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw to.Dialect.Translate(e, writing: true);
        }

        return copies;
    }

    private static long Count(DbConnection connection, DbTransaction transaction, string table)
    {
        using DbCommand count = CatalogDatabase.CreateCommand(connection, transaction, $"SELECT count(*) FROM {table}", []);
        return Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void CopyTable(DbConnection reading, DbTransaction snapshot, DbConnection writing, DbTransaction transaction, string table)
    {
        using DbCommand select = CatalogDatabase.CreateCommand(reading, snapshot, $"SELECT * FROM {table}", []);
        using DbDataReader reader = select.ExecuteReader();
        string[] columns = [.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetName)];
        var rows = new List<object?[]>(RowsPerInsert);
        while (reader.Read())
        {
            var row = new object?[columns.Length];
            for (int i = 0; i < columns.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
            if (rows.Count == RowsPerInsert)
            {
                Insert(writing, transaction, table, columns, rows);
                rows.Clear();
            }
        }

        if (rows.Count > 0)
        {
            Insert(writing, transaction, table, columns, rows);
        }
    }

    private static void Insert(DbConnection connection, DbTransaction transaction, string table, string[] columns, List<object?[]> rows)
    {
        var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
        var parameters = new List<(string Name, object? Value)>(rows.Count * columns.Length);
        for (int r = 0; r < rows.Count; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (int c = 0; c < columns.Length; c++)
            {
                string name = string.Create(CultureInfo.InvariantCulture, $"@p{r}_{c}");
                sql.Append(c == 0 ? name : ", " + name);
                parameters.Add((name, rows[r][c]));
            }

            sql.Append(')');
        }

        CatalogDatabase.Execute(connection, transaction, sql.ToString(), [.. parameters]);
    }
}
