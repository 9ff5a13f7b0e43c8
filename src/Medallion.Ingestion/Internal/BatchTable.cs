using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Medallion.DuckDb;

namespace Medallion.Ingestion.Internal;

/// <summary>
/// The DuckDB side of a stream: a table with the final column types that holds one batch at a time, and, when
/// some columns need a conversion the appender cannot do (intervals, lists, wide decimals, JSON), a staging
/// table with the appended types from which each batch is converted in one <c>INSERT ... SELECT</c>.
/// </summary>
/// <remarks>
/// The tables live in <see cref="Catalog"/>, an in-memory database attached to the instance, rather than among
/// the connection's temporary tables: every connection of the instance sees them, so one connection can fill a
/// batch while another writes the previous one out, and none of it lands in a database file.
/// Not thread-safe; owned by one stream. Both tables are dropped on dispose.
/// </remarks>
internal sealed class BatchTable : IDisposable
{
    private static long s_counter;

    private readonly DuckDbConnection _connection;
    private readonly IReadOnlyList<ColumnPlan> _plan;
    private readonly string _tableName;
    private readonly string _stageName;
    private readonly bool _converts;
    private DuckDbAppender? _appender;

    public BatchTable(DuckDbConnection connection, IReadOnlyList<ColumnPlan> plan)
    {
        _connection = connection;
        _plan = plan;
        long id = Interlocked.Increment(ref s_counter);
        _tableName = $"medallion_batch_{id}";
        _converts = plan.Any(c => c.ConvertSql is not null);
        _stageName = _converts ? $"medallion_stage_{id}" : _tableName;
        Execute($"ATTACH IF NOT EXISTS ':memory:' AS {Catalog}");
        Execute($"CREATE TABLE {Qualified(_tableName)} ({string.Join(", ", plan.Select(c => Quote(c.Name) + " " + c.DuckDbType))})");
        if (_converts)
        {
            Execute($"CREATE TABLE {Qualified(_stageName)} ({string.Join(", ", plan.Select(c => Quote(c.Name) + " " + c.StageType))})");
        }
    }

    /// <summary>The attached in-memory database that holds the batch tables of every stream.</summary>
    public const string Catalog = "medallion_staging";

    /// <summary>The batch table's qualified name, quoted for SQL.</summary>
    public string QuotedName => Qualified(_tableName);

    /// <summary>Empties the table (the previous batch was consumed) and opens an appender for the next batch.</summary>
    public DuckDbAppender Begin()
    {
        Execute($"DELETE FROM {Qualified(_tableName)}");
        _appender = _connection.CreateAppender(Catalog, "main", _stageName);
        return _appender;
    }

    /// <summary>Flushes the appended rows and converts them into the batch table.</summary>
    /// <exception cref="MedallionException">A staged value does not convert to its column's type.</exception>
    public void Complete(string source, string table)
    {
        DuckDbAppender appender = _appender ?? throw new InvalidOperationException("No batch is open.");
        _appender = null;
        appender.Close();
        if (!_converts)
        {
            return;
        }

        try
        {
            Execute($"INSERT INTO {Qualified(_tableName)} SELECT {string.Join(", ", _plan.Select(Expression))} FROM {Qualified(_stageName)}");
        }
        catch (DuckDbException e)
        {
            throw SourceErrors.ReadFailed(source, table, FindFailingColumn(), e);
        }

        Execute($"DELETE FROM {Qualified(_stageName)}");
    }

    /// <summary>Deletes the completed batch's rows matching <paramref name="predicate"/> (DuckDB SQL over the batch columns).</summary>
    public void Delete(string predicate) => Execute($"DELETE FROM {Qualified(_tableName)} WHERE {predicate}");

    /// <summary>Opens an appender for more rows of the completed batch, keeping the rows it holds.</summary>
    public DuckDbAppender Reopen()
    {
        _appender = _connection.CreateAppender(Catalog, "main", _stageName);
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
        Execute($"DROP TABLE IF EXISTS {Qualified(_tableName)}");
        if (_converts)
        {
            Execute($"DROP TABLE IF EXISTS {Qualified(_stageName)}");
        }
    }

    private static string Expression(ColumnPlan column) => Converted(column) + " AS " + Quote(column.Name);

    private static string Converted(ColumnPlan column) =>
        column.ConvertSql is null ? Quote(column.Name) : string.Format(CultureInfo.InvariantCulture, column.ConvertSql, Quote(column.Name));

    // Only on the error path: run the conversions one column at a time to name the column that fails.
    private string FindFailingColumn()
    {
        foreach (ColumnPlan column in _plan.Where(c => c.ConvertSql is not null))
        {
            try
            {
                Execute($"SELECT count({Converted(column)}) FROM {Qualified(_stageName)}");
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

    private static string Qualified(string table) => Catalog + ".main." + Quote(table);

    private static string Quote(string identifier) => DuckDbConnection.QuoteIdentifier(identifier);
}
