using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Ingestion.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Medallion.Ingestion;

/// <summary>
/// A PostgreSQL table (or view), read with binary <c>COPY (SELECT ...) TO STDOUT</c> in one snapshot, fully or
/// incrementally on cursor columns (see <see cref="SourceTableOptions"/> for the boundary guarantees).
/// </summary>
/// <remarks>
/// Types map as <see cref="SourceColumn.DuckDbType"/> tells: smallint..bigint, numeric(p,s) to DECIMAL(p,s)
/// (text when wider than 38 digits or unconstrained), real/double, text types, bool, date, timestamp, timestamptz,
/// uuid, json/jsonb (JSON), bytea (BLOB) and one-dimensional arrays (LIST); every other type (time, interval in
/// ISO 8601, money, network, ranges, composites, ...) lands as its text, so no column type stops a load. The
/// session runs in UTC.
/// </remarks>
public sealed partial class PostgresSource : IIngestionSource
{
    private readonly string _connectionString;
    private readonly string _replicationConnectionString;
    private readonly SourceTableOptions _options;
    private readonly ILogger _logger;
    private readonly string _schema;
    private readonly string _table;
    private readonly string _server;
    private readonly string _database;
    private readonly string _user;
    // Columns whose unknown type was reported: once per source, not once per pass of a continuous run.
    private readonly HashSet<string> _warnedTypes = new(StringComparer.Ordinal);

    /// <summary>Creates the source; nothing is opened until <see cref="ReadAsync"/>.</summary>
    /// <param name="connectionString">An Npgsql connection string (Host, Port, Database, Username, Password, ...).</param>
    /// <param name="options">The table, mode and cursor.</param>
    /// <param name="loggerFactory">Where retries and batches are logged; none when null.</param>
    public PostgresSource(string connectionString, SourceTableOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        _connectionString = builder.ConnectionString;
        // pgoutput prints values with the walsender's settings, and a replication connection takes no SET: intervals
        // and times with zone must come as the COPY path reads them (which SETs the same in ConnectAsync).
        builder.Options = (builder.Options + " -c IntervalStyle=" + PostgresTypeMap.IntervalStyle + " -c TimeZone=UTC").Trim();
        _replicationConnectionString = builder.ConnectionString;
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PostgresSource>();
        int dot = options.Table.IndexOf('.', StringComparison.Ordinal);
        (_schema, _table) = dot < 0 ? ("public", options.Table) : (options.Table[..dot], options.Table[(dot + 1)..]);
        _server = $"{builder.Host ?? "localhost"}:{builder.Port}";
        _user = builder.Username ?? Environment.UserName;
        _database = builder.Database ?? _user;
        Key = $"postgres://{_server}/{_database}/{_schema}.{_table}";
    }

    /// <inheritdoc/>
    public string Key { get; }

    private string TableName => _schema + "." + _table;

    private string QuotedTable => PostgresSql.QuoteIdentifier(_schema) + "." + PostgresSql.QuoteIdentifier(_table);

    /// <inheritdoc/>
    public IAsyncEnumerable<SourceBatch> ReadAsync(DuckDbConnection target, SourcePosition? after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (_options.Mode == IngestionMode.Cdc)
        {
            return ReadChangesAsync(target, after, cancellationToken);
        }

        if (_options.Mode == IngestionMode.Full && _options.Parallelism > 1)
        {
            return ReadInPartsAsync(target, cancellationToken);
        }

        return BatchStreamer.StreamAsync(_options, TableName, target, ConnectAsync, (connection, token) => StartAsync(connection, after, token), _logger, cancellationToken);
    }

    private async Task<NpgsqlConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ConnectRetry.RunAsync(_options, _server, IsTransient, async token =>
            {
                var connection = new NpgsqlConnection(_connectionString);
                try
                {
                    await connection.OpenAsync(token).ConfigureAwait(false);
                    // Cursor values travel as text: fix every setting their text depends on.
                    await QueryAsync(connection, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = '" + PostgresTypeMap.IntervalStyle + "'; SET extra_float_digits = 1; SET standard_conforming_strings = on", [], _ => 0, token).ConfigureAwait(false);
                    return connection;
                }
                catch
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }, _logger, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
        {
            throw SourceErrors.AuthenticationFailed(_options.SourceName, _server, _user, e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            throw SourceErrors.TableNotFound(_options.SourceName, TableName, _database);
        }
    }

    private static bool IsTransient(Exception e) => e is NpgsqlException { IsTransient: true } or TimeoutException;

    private async Task<ReadPlan> StartAsync(NpgsqlConnection connection, SourcePosition? after, CancellationToken cancellationToken)
    {
        (uint relation, List<PgColumn> columns) = await DescribeAsync(connection, cancellationToken).ConfigureAwait(false);
        List<ColumnPlan> plan = columns.ConvertAll(c => PlanColumn(c, fromText: false));
        string select = string.Join(", ", plan.Select(c => c.SelectSql));
        string from = QuotedTable;
        string sql;
        BoundaryTracker? tracker = null;
        if (_options.Mode == IngestionMode.Full)
        {
            sql = $"COPY (SELECT {select} FROM {from}) TO STDOUT (FORMAT BINARY)";
        }
        else
        {
            PgColumn[] cursor = SourcePlanning.Resolve(_options, TableName, columns, c => c.Name, _options.CursorColumns, "cursor");
            IReadOnlyList<string> keyNames = _options.KeyColumns ?? await PrimaryKeyAsync(connection, relation, cancellationToken).ConfigureAwait(false);
            PgColumn[] key = keyNames.Count > 0 ? SourcePlanning.Resolve(_options, TableName, columns, c => c.Name, keyNames, "key") : cursor;
            after = SourcePlanning.CheckPosition(_options, TableName, after, cursor.Select(c => c.Name).ToArray());
            tracker = new BoundaryTracker(cursor.Select(c => c.Name).ToArray(), key.Length, after);

            // The cursor and key values travel first, as text, so a row can be skipped before its values are read.
            // Qualified with the table's alias, names refer to the table's columns, not to same-named outputs.
            string texts = string.Join(", ", cursor.Concat(key).Select((c, i) => $"src.{PostgresSql.QuoteIdentifier(c.Name)}::text AS \"medallion_{i}\""));
            string order = string.Join(", ", cursor.Select(c => "src." + PostgresSql.QuoteIdentifier(c.Name)));
            string where = string.Join(" AND ", cursor.Select(c => "src." + PostgresSql.QuoteIdentifier(c.Name) + " IS NOT NULL"));
            if (after is { HasCursor: true })
            {
                string values = string.Join(", ", cursor.Select((c, i) => PostgresSql.QuoteLiteral(after.CursorValues[i]!) + "::" + c.CastType));
                where += $" AND ({order}) >= ({values})";
            }

            sql = $"COPY (SELECT {texts}, {select} FROM {from} AS src WHERE {where} ORDER BY {order}) TO STDOUT (FORMAT BINARY)";
        }

        LogMessages.Reading(_logger, _options.SourceName, TableName, _options.Mode, sql);
        IRowReader reader = await PostgresRowReader.StartAsync(connection, sql, plan, tracker, _options.SourceName, TableName, cancellationToken).ConfigureAwait(false);
        return new ReadPlan(plan, reader, tracker);
    }

    private async Task<(uint, List<PgColumn>)> DescribeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f');
            """;
        List<uint> relations = await QueryAsync(connection, Sql, [_schema, _table], r => r.GetFieldValue<uint>(0), cancellationToken).ConfigureAwait(false);
        uint relation = relations.Count > 0 ? relations[0] : throw SourceErrors.TableNotFound(_options.SourceName, TableName, _database);

        const string ColumnsSql = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), bt.typname, bt.typtype,
                   format_type(bt.oid, tm.typmod), tm.typmod, et.typname, et.typtype
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
            CROSS JOIN LATERAL (SELECT CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod) tm
            LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
            WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """;
        List<PgColumn> columns = await QueryAsync(connection, ColumnsSql, [relation], r => new PgColumn(
            r.GetString(0), r.GetString(1), r.GetString(2), r.GetChar(3), r.GetString(4), r.GetInt32(5),
            r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetChar(7)), cancellationToken).ConfigureAwait(false);
        return (relation, columns);
    }

    private static async Task<IReadOnlyList<string>> PrimaryKeyAsync(NpgsqlConnection connection, uint relation, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT a.attname FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = $1 AND i.indisprimary
            ORDER BY k.ord
            """;
        return await QueryAsync(connection, Sql, [relation], r => r.GetString(0), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<List<T>> QueryAsync<T>(NpgsqlConnection connection, string sql, object[] parameters, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            foreach (object parameter in parameters)
            {
                command.Parameters.Add(parameter is uint oid
                    ? new NpgsqlParameter { Value = oid, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Oid }
                    : new NpgsqlParameter { Value = parameter });
            }

            var rows = new List<T>();
            NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(read(reader));
                }
            }

            return rows;
        }
    }

    private ColumnPlan PlanColumn(PgColumn column, bool fromText)
    {
        ColumnPlan plan = PostgresTypeMap.Plan(column.Name, column.Declared, column.TypeName, column.TypeType, column.Typmod, column.ElementName, column.ElementType, fromText);
        if (plan.KeptAsText && _warnedTypes.Add(column.Name))
        {
            LogMessages.TypeKeptAsText(_logger, _options.SourceName, TableName, column.Name, column.Declared);
        }

        return plan;
    }

    private sealed record PgColumn(string Name, string Declared, string TypeName, char TypeType, string CastType, int Typmod, string? ElementName, char? ElementType);
}
