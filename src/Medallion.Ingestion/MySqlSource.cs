using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.Ingestion.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySql.Data.MySqlClient;

namespace Medallion.Ingestion;

/// <summary>
/// A MySQL or MariaDB table (or view), read with one streaming (unbuffered) query, fully or incrementally on
/// cursor columns (see <see cref="SourceTableOptions"/> for the boundary guarantees), or a MariaDB table's changes
/// read from the binlog (change data capture, see <c>MySqlSource.Cdc.cs</c>).
/// </summary>
/// <remarks>
/// Types map as <see cref="SourceColumn.DuckDbType"/> tells: integers of every width, signed or not; DECIMAL(p,s)
/// to DECIMAL(p,s) (text beyond 38 digits); FLOAT, DOUBLE; DATE, DATETIME (TIMESTAMP), TIMESTAMP (TIMESTAMPTZ);
/// text types, ENUM, SET; JSON; binary types (BLOB); MariaDB UUID; every other type (TIME, INET, spatial types as
/// WKT, ...) lands as its text, so no column type stops a load. The session runs in UTC with utf8mb4.
/// MySql.Data has no true asynchronous I/O: reads block the calling thread-pool thread.
/// </remarks>
public sealed partial class MySqlSource : IIngestionSource
{
    private readonly string _connectionString;
    private readonly SourceTableOptions _options;
    private readonly ILogger _logger;
    private readonly string? _schema;
    private readonly string _table;
    private readonly string _server;
    private readonly string _user;
    private readonly string _database;
    private readonly string _host;
    private readonly int _port;
    private readonly string _password;
    // Columns whose unknown type was reported: once per source, not once per run.
    private readonly HashSet<string> _warnedTypes = new(StringComparer.Ordinal);

    /// <summary>Creates the source; nothing is opened until <see cref="ReadAsync"/>.</summary>
    /// <param name="connectionString">A MySql.Data connection string (Server, Port, Database, User ID, Password, ...).</param>
    /// <param name="options">The table, mode and cursor; <c>database.table</c> reads from another database than the connection's.</param>
    /// <param name="loggerFactory">Where retries and batches are logged; none when null.</param>
    public MySqlSource(string connectionString, SourceTableOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var builder = new MySqlConnectionStringBuilder(connectionString)
        {
            CharacterSet = "utf8mb4",
            TreatTinyAsBoolean = false,
            ConvertZeroDateTime = false,
            AllowZeroDateTime = false,
            OldGuids = false,
        };
        _connectionString = builder.ConnectionString;
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MySqlSource>();
        int dot = options.Table.IndexOf('.', StringComparison.Ordinal);
        (_schema, _table) = dot < 0 ? (null, options.Table) : (options.Table[..dot], options.Table[(dot + 1)..]);
        _server = $"{builder.Server}:{builder.Port}";
        _user = builder.UserID;
        _host = builder.Server;
        _port = (int)builder.Port;
        _password = builder.Password;
        _database = _schema ?? builder.Database;
        Key = $"mysql://{_server}/{_database}/{_table}";
    }

    /// <inheritdoc/>
    public string Key { get; }

    private string TableName => _database + "." + _table;

    /// <inheritdoc/>
    public IAsyncEnumerable<SourceBatch> ReadAsync(DuckDbConnection target, SourcePosition? after, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (_options.Mode == IngestionMode.Cdc)
        {
            return ReadChangesAsync(target, after, cancellationToken);
        }

        return BatchStreamer.StreamAsync(_options, TableName, target, ConnectAsync, (connection, token) => StartAsync(connection, after, token), _logger, cancellationToken);
    }

    /// <inheritdoc/>
    public Task AcknowledgeAsync(SourcePosition committed, CancellationToken cancellationToken = default) => Task.CompletedTask;

    // 1042: cannot connect to the host; 1040: too many connections; 2013: lost connection during the query.
    internal static bool IsTransient(Exception e) =>
        e is TimeoutException or SocketException or IOException
        || (e is MySqlException m && (m.Number is 1042 or 1040 or 2013 || m.InnerException is SocketException or IOException or TimeoutException));

    private async Task<MySqlConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ConnectRetry.RunAsync(_options, _server, IsTransient, async token =>
            {
                var connection = new MySqlConnection(_connectionString);
                try
                {
                    await connection.OpenAsync(token).ConfigureAwait(false);
                    // MySql.Data leaves results in each column's own character set and knows no utf8mb3 (MariaDB's name
                    // for utf8): have the server send everything as utf8mb4.
                    await ExecuteAsync(connection, "SET time_zone = '+00:00', character_set_results = utf8mb4", token).ConfigureAwait(false);
                    return connection;
                }
                catch
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }, _logger, cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException e) when (e.Number == 1045 || e.InnerException is MySqlException { Number: 1045 })
        {
            throw SourceErrors.AuthenticationFailed(_options.SourceName, _server, _user, e);
        }
        catch (MySqlException e) when (e.Number == 1049)
        {
            throw SourceErrors.TableNotFound(_options.SourceName, TableName, _database);
        }
    }

    private async Task<List<MyColumn>> DescribeAsync(MySqlConnection connection, CancellationToken cancellationToken)
    {
        List<MyColumn> columns = await QueryAsync(connection, """
            SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, CHARACTER_SET_NAME, CHARACTER_OCTET_LENGTH
            FROM information_schema.COLUMNS
            WHERE TABLE_SCHEMA = COALESCE(@schema, DATABASE()) AND TABLE_NAME = @table
            ORDER BY ORDINAL_POSITION
            """, r => new MyColumn(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : Convert.ToInt64(r.GetValue(3)), r.IsDBNull(4) ? null : Convert.ToInt64(r.GetValue(4)),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : Convert.ToInt64(r.GetValue(6))),
            cancellationToken).ConfigureAwait(false);
        return columns.Count > 0 ? columns : throw SourceErrors.TableNotFound(_options.SourceName, TableName, _database);
    }

    private ColumnPlan PlanColumn(MyColumn column)
    {
        ColumnPlan planned = MySqlTypeMap.Plan(column.Name, column.DataType, column.ColumnType, column.Precision, column.Scale);
        if (planned.KeptAsText && _warnedTypes.Add(column.Name))
        {
            LogMessages.TypeKeptAsText(_logger, _options.SourceName, TableName, column.Name, column.ColumnType);
        }

        return planned;
    }

    private async Task<ReadPlan> StartAsync(MySqlConnection connection, SourcePosition? after, CancellationToken cancellationToken)
    {
        List<MyColumn> columns = await DescribeAsync(connection, cancellationToken).ConfigureAwait(false);
        List<ColumnPlan> plan = columns.Select(PlanColumn).ToList();

        string from = (_schema is null ? "" : MySqlSql.QuoteIdentifier(_schema) + ".") + MySqlSql.QuoteIdentifier(_table);
        string select = string.Join(", ", plan.Select(c => c.SelectSql.Replace(MySqlSql.QuoteIdentifier(c.Name), "src." + MySqlSql.QuoteIdentifier(c.Name), StringComparison.Ordinal)));
        var command = new MySqlCommand { Connection = connection, CommandTimeout = 0 };
        BoundaryTracker? tracker = null;
        if (_options.Mode == IngestionMode.Full)
        {
            command.CommandText = $"SELECT {select} FROM {from} AS src";
        }
        else
        {
            MyColumn[] cursor = SourcePlanning.Resolve(_options, TableName, columns, c => c.Name, _options.CursorColumns, "cursor");
            IReadOnlyList<string> keyNames = _options.KeyColumns ?? await QueryAsync(connection, """
                SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
                WHERE TABLE_SCHEMA = COALESCE(@schema, DATABASE()) AND TABLE_NAME = @table AND CONSTRAINT_NAME = 'PRIMARY'
                ORDER BY ORDINAL_POSITION
                """, r => r.GetString(0), cancellationToken).ConfigureAwait(false);
            MyColumn[] key = keyNames.Count > 0 ? SourcePlanning.Resolve(_options, TableName, columns, c => c.Name, keyNames, "key") : cursor;
            after = SourcePlanning.CheckPosition(_options, TableName, after, cursor.Select(c => c.Name).ToArray());
            tracker = new BoundaryTracker(cursor.Select(c => c.Name).ToArray(), key.Length, after);

            string texts = string.Join(", ", cursor.Concat(key).Select((c, i) => $"CAST(src.{MySqlSql.QuoteIdentifier(c.Name)} AS CHAR) AS medallion_{i}"));
            string order = string.Join(", ", cursor.Select(c => "src." + MySqlSql.QuoteIdentifier(c.Name)));
            string where = string.Join(" AND ", cursor.Select(c => "src." + MySqlSql.QuoteIdentifier(c.Name) + " IS NOT NULL"));
            if (after is { HasCursor: true })
            {
                string values = string.Join(", ", cursor.Select((c, i) =>
                {
                    command.Parameters.AddWithValue("@cursor" + i, after.CursorValues[i]);
                    string? cast = MySqlTypeMap.CursorCast(c.DataType, c.ColumnType, c.Precision, c.Scale);
                    return cast is null ? "@cursor" + i : $"CAST(@cursor{i} AS {cast})";
                }));
                where += $" AND ({order}) >= ({values})";
            }

            command.CommandText = $"SELECT {texts}, {select} FROM {from} AS src WHERE {where} ORDER BY {order}";
        }

        LogMessages.Reading(_logger, _options.SourceName, TableName, _options.Mode, command.CommandText);
        IRowReader reader = await MySqlRowReader.StartAsync(connection, command, plan, tracker, _options.SourceName, TableName, cancellationToken).ConfigureAwait(false);
        return new ReadPlan(plan, reader, tracker);
    }

    private async Task<List<T>> QueryAsync<T>(MySqlConnection connection, string sql, Func<MySqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var command = new MySqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            command.Parameters.AddWithValue("@schema", _schema);
            command.Parameters.AddWithValue("@table", _table);
            command.Parameters.AddWithValue("@database", _database);
            var rows = new List<T>();
            var reader = (MySqlDataReader)await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
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

    private static async Task ExecuteAsync(MySqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var command = new MySqlCommand(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record MyColumn(string Name, string DataType, string ColumnType, long? Precision, long? Scale, string? Charset, long? OctetLength);
}
