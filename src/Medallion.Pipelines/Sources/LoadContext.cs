using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Snapshots;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Sources;

/// <summary>What the staging of one load needs, and the temp tables it made (dropped when the load ends).</summary>
internal sealed class LoadContext(
    MedallionProject project, SourceDefinition source, DuckDbConnection connection, Snapshot? snapshot, string runId, DateTimeOffset ingestedAt, List<string> warnings, string tablePath)
{
    private readonly List<string> _tempTables = [];
    private readonly string _prefix = "__medallion_load_" + Guid.NewGuid().ToString("N")[..12] + "_";

    public MedallionProject Project { get; } = project;

    public SourceDefinition Source { get; } = source;

    public DuckDbConnection Connection { get; } = connection;

    public Snapshot? Snapshot { get; } = snapshot;

    public string RunId { get; } = runId;

    public List<string> Warnings { get; } = warnings;

    public string TablePath { get; } = tablePath;

    /// <summary>The <c>_ingested_at</c> value as a SQL literal (UTC).</summary>
    public string IngestedAtSql { get; } = "TIMESTAMPTZ " + DuckDbConnection.QuoteLiteral(ingestedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00");

    /// <summary>A fresh temp table name, remembered for dropping.</summary>
    public string TempTable(string purpose)
    {
        string name = _prefix + purpose + "_" + _tempTables.Count.ToString(CultureInfo.InvariantCulture);
        _tempTables.Add(name);
        return name;
    }

    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The bronze bookkeeping columns of a row of a text format (lines, and records that may not parse), after its data columns.</summary>
    public string MetaColumns(string sourceFileSql, string sourceLineSql, string rawLineSql, string parseErrorSql) =>
        $"{sourceFileSql} AS {SystemColumns.SourceFile}, CAST({sourceLineSql} AS BIGINT) AS {SystemColumns.SourceLine}, {IngestedAtSql} AS {SystemColumns.IngestedAt}, "
        + $"{DuckDbConnection.QuoteLiteral(RunId)} AS {SystemColumns.RunId}, CAST({rawLineSql} AS VARCHAR) AS {SystemColumns.RawLine}, CAST({parseErrorSql} AS VARCHAR) AS {SystemColumns.ParseError}";

    /// <summary>The bronze bookkeeping columns of a spreadsheet row: as for a text format, with the sheet and its row number in place of a line.</summary>
    public string SheetMetaColumns(string sourceFileSql, string sheetSql, string rowSql, string rawLineSql, string parseErrorSql) =>
        $"{sourceFileSql} AS _source_file, CAST({sheetSql} AS VARCHAR) AS _sheet, CAST({rowSql} AS BIGINT) AS _source_row, {IngestedAtSql} AS _ingested_at, "
        + $"{DuckDbConnection.QuoteLiteral(RunId)} AS _run_id, CAST({rawLineSql} AS VARCHAR) AS _raw_line, CAST({parseErrorSql} AS VARCHAR) AS _parse_error";

    /// <summary>
    /// The bronze bookkeeping columns of a row of a typed format (Parquet): it has no lines and always parses, so only
    /// where and when it was loaded. Always-null columns would still cost every row of the write.
    /// </summary>
    public string TypedMetaColumns(string sourceFileSql) =>
        $"{sourceFileSql} AS {SystemColumns.SourceFile}, {IngestedAtSql} AS {SystemColumns.IngestedAt}, {DuckDbConnection.QuoteLiteral(RunId)} AS {SystemColumns.RunId}";

    /// <summary>
    /// Adds a warning per file for the rows of the staged table <paramref name="table"/> that were kept with a parse
    /// error, naming how many, the first one's position and its error; returns how many there were in all.
    /// </summary>
    /// <param name="table">The staged table, quoted.</param>
    /// <param name="fileSql">The column holding each row's file.</param>
    /// <param name="partSql">A column naming the part of the file (the sheet), or <c>NULL</c>.</param>
    /// <param name="positionSql">The column holding each row's line or row number.</param>
    /// <param name="errorSql">The column holding the parse error (null for good rows).</param>
    /// <param name="describe">Words one file's warning from its rejected rows.</param>
    /// <param name="cancellationToken">Stops the query.</param>
    public async Task<long> WarnRejectedAsync(string table, string fileSql, string partSql, string positionSql, string errorSql, Func<RejectedRows, string> describe, CancellationToken cancellationToken)
    {
        long rejected = 0;
        using DuckDbCommand command = Connection.CreateCommand();
        command.CommandText = $"SELECT {fileSql}, any_value({partSql}), count(*), min({positionSql}), arg_min({errorSql}, {positionSql}) FROM {table} WHERE {errorSql} IS NOT NULL GROUP BY {fileSql} ORDER BY {fileSql}";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var rows = new RejectedRows(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetString(4));
                rejected += rows.Count;
                Warnings.Add($"Source '{Source.Name}': {describe(rows)}; they are kept in {Source.Target} with _raw_line and _parse_error.");
            }
        }

        return rejected;
    }

    public async Task DropTempTablesAsync()
    {
        foreach (string table in _tempTables)
        {
            try
            {
                // Cleanup must run even when the load was cancelled, so it does not take the load's token.
                await ExecuteAsync($"DROP TABLE IF EXISTS {DuckDbConnection.QuoteIdentifier(table)}", CancellationToken.None).ConfigureAwait(false);
            }
            catch (MedallionException)
            {
                // A temp table left behind dies with the connection; it must not hide the load's own outcome.
            }
        }

        _tempTables.Clear();
    }
}

/// <summary>The rows of one file kept with a parse error: how many, and the first one's position and error.</summary>
internal sealed record RejectedRows(string File, string? Part, long Count, long FirstPosition, string FirstError);
