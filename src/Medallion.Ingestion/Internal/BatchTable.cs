using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Medallion.DuckDb;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// The DuckDB side of a stream: the appended rows of one batch at a time, kept as data chunks
/// (<see cref="DuckDbChunkTable"/>) that the batch's consumer reads as they are, with no copy into a table. A real
/// table with the final column types holds the batch instead when some columns need a conversion the appender cannot
/// do (intervals, lists, wide decimals, JSON: converted in one <c>INSERT ... SELECT</c>), or once rows are deleted.
/// </summary>
/// <remarks>
/// The table lives in <see cref="Catalog"/>, an in-memory database attached to the instance, and the chunks are read
/// through a table function of the instance: every connection of the instance sees both, so one connection can fill a
/// batch while another writes the previous one out, and none of it lands in a database file.
/// Not thread-safe; owned by one stream. Everything is freed on dispose.
/// </remarks>
internal sealed class BatchTable : IDisposable
{
    private static long s_counter;

    private readonly DuckDbConnection _connection;
    private readonly IReadOnlyList<ColumnPlan> _plan;
    private readonly string _source;
    private readonly string _sourceTable;
    private readonly string _tableName;
    private readonly bool _converts;
    private readonly DuckDbChunkTable _chunks;
    // True while the batch's rows are in the table (converted, or some deleted) rather than in the chunks.
    private bool _inTable;
    private DuckDbAppender? _appender;

    /// <param name="connection">The connection that fills the batches.</param>
    /// <param name="plan">The columns.</param>
    /// <param name="source">The source's name, for messages.</param>
    /// <param name="sourceTable">The source table's name, for messages.</param>
    public BatchTable(DuckDbConnection connection, IReadOnlyList<ColumnPlan> plan, string source, string sourceTable)
    {
        _connection = connection;
        _plan = plan;
        _source = source;
        _sourceTable = sourceTable;
        _tableName = $"medallion_batch_{Interlocked.Increment(ref s_counter)}";
        _converts = plan.Any(c => c.ConvertSql is not null);
        Execute($"ATTACH IF NOT EXISTS ':memory:' AS {Catalog}");
        Execute($"CREATE TABLE {Qualified(_tableName)} ({string.Join(", ", plan.Select(c => DuckDbConnection.QuoteIdentifier(c.Name) + " " + c.DuckDbType))})");
        _chunks = connection.CreateChunkTable(plan.Select(c => KeyValuePair.Create(c.Name, c.StageType)).ToArray());
    }

    /// <summary>The attached in-memory database that holds the batch tables of every stream.</summary>
    public const string Catalog = "medallion_staging";

    /// <summary>What a <c>FROM</c> clause names to read the completed batch: the table, or the chunks' function call.</summary>
    public string Relation => _inTable ? Qualified(_tableName) : _chunks.Source;

    /// <summary>Empties the batch (the previous one was consumed) and opens an appender for the next one.</summary>
    public DuckDbAppender Begin()
    {
        if (_inTable)
        {
            Execute($"DELETE FROM {Qualified(_tableName)}");
            _inTable = false;
        }

        _chunks.Clear();
        _appender = _chunks.CreateAppender();
        return _appender;
    }

    /// <summary>Ends the appended rows; converts them into the table when their columns need it.</summary>
    /// <exception cref="MedallionException">A staged value does not convert to its column's type.</exception>
    public void Complete()
    {
        DuckDbAppender appender = _appender ?? throw new InvalidOperationException("No batch is open.");
        _appender = null;
        appender.Close();
        if (_converts || _inTable)
        {
            MoveIntoTable();
        }
    }

    /// <summary>Deletes the completed batch's rows matching <paramref name="predicate"/> (DuckDB SQL over the batch columns).</summary>
    public void Delete(string predicate)
    {
        if (!_inTable)
        {
            MoveIntoTable();
        }

        Execute($"DELETE FROM {Qualified(_tableName)} WHERE {predicate}");
    }

    /// <summary>Opens an appender for more rows of the completed batch, keeping the rows it holds.</summary>
    public DuckDbAppender Reopen()
    {
        _appender = _chunks.CreateAppender();
        return _appender;
    }

    public void Dispose()
    {
        try
        {
            _appender?.Dispose();
        }
        catch (DuckDbException)
        {
            // A half-written batch is being thrown away; its flush failure adds nothing to the error that got us here.
        }

        _appender = null;
        _chunks.Dispose();
        Execute($"DROP TABLE IF EXISTS {Qualified(_tableName)}");
    }

    // Appends the chunks' rows, converted, to the table, which holds the batch from then on.
    private void MoveIntoTable()
    {
        try
        {
            Execute($"INSERT INTO {Qualified(_tableName)} SELECT {string.Join(", ", _plan.Select(Expression))} FROM {_chunks.Source}");
        }
        catch (DuckDbException e)
        {
            throw SourceErrors.ReadFailed(_source, _sourceTable, FindFailingColumn(), e);
        }

        _chunks.Clear();
        _inTable = true;
    }

    private static string Expression(ColumnPlan column) => Converted(column) + " AS " + DuckDbConnection.QuoteIdentifier(column.Name);

    private static string Converted(ColumnPlan column) =>
        column.ConvertSql is null ? DuckDbConnection.QuoteIdentifier(column.Name) : string.Format(CultureInfo.InvariantCulture, column.ConvertSql, DuckDbConnection.QuoteIdentifier(column.Name));

    // Only on the error path: run the conversions one column at a time to name the column that fails.
    private string FindFailingColumn()
    {
        foreach (ColumnPlan column in _plan.Where(c => c.ConvertSql is not null))
        {
            try
            {
                Execute($"SELECT count({Converted(column)}) FROM {_chunks.Source}");
            }
            catch (DuckDbException)
            {
                return column.Name;
            }
        }

        return "(unknown)";
    }

    private void Execute(string sql)
    {
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Qualified(string table) => Catalog + ".main." + DuckDbConnection.QuoteIdentifier(table);

}
