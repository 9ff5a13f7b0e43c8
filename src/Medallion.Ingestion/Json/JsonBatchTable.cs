using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Ingestion.Json;

/// <summary>
/// Stages JSON records as one DuckDB temporary table per batch: records are written as JSON lines to a scratch file
/// (memory stays bounded by what the caller holds, one page or one request), DuckDB's JSON reader infers a column per
/// field over every line, typed by <see cref="JsonColumnTypes"/>.
/// </summary>
/// <remarks>Not thread-safe; owned by one stream. The table and the scratch file are dropped on dispose.</remarks>
internal sealed class JsonBatchTable : IDisposable
{
    private static long s_counter;

    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly DuckDbConnection _connection;
    private readonly JsonColumnTypes _types;
    private readonly string _tableName;
    private readonly string _scratchPath;
    private FileStream? _stream;
    private Utf8JsonWriter? _writer;

    /// <param name="connection">The connection the batch table is a temporary table of.</param>
    /// <param name="fixedTypes">Columns whose DuckDB type is given rather than inferred (e.g. <c>_lsn</c> UBIGINT).</param>
    public JsonBatchTable(DuckDbConnection connection, IReadOnlyDictionary<string, string>? fixedTypes = null)
    {
        _connection = connection;
        _types = new JsonColumnTypes(fixedTypes);
        long id = Interlocked.Increment(ref s_counter);
        _tableName = $"medallion_json_batch_{id}";
        _scratchPath = Path.Combine(Path.GetTempPath(), $"medallion-json-{Environment.ProcessId}-{id}-{Guid.NewGuid():N}.jsonl");
    }

    /// <summary>The batch table's name, quoted for SQL.</summary>
    public string QuotedName => DuckDbConnection.QuoteIdentifier(_tableName);

    /// <summary>Records written since the last <see cref="LoadAsync"/>.</summary>
    public long RecordCount { get; private set; }

    /// <summary>Starts a record: write one JSON object (start, properties, end) to the returned writer, then call <see cref="EndRecord"/>.</summary>
    public Utf8JsonWriter BeginRecord()
    {
        if (_writer is null)
        {
            _stream = new FileStream(_scratchPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            _writer = new Utf8JsonWriter(_stream, s_writerOptions);
        }

        return _writer;
    }

    public void EndRecord()
    {
        Utf8JsonWriter writer = _writer ?? throw new InvalidOperationException("No record was begun.");
        writer.Flush();
        _stream!.WriteByte((byte)'\n');
        // Each line is a JSON document of its own; the writer only allows one root per reset.
        writer.Reset(_stream);
        RecordCount++;
    }

    /// <summary>
    /// Replaces the batch table with the records written since the last call, plus <paramref name="extraColumnsSql"/>
    /// (e.g. <c>3 AS _page</c>), and returns its columns. There must be at least one record.
    /// </summary>
    /// <exception cref="DuckDbException">DuckDB cannot read the records (the caller words the error).</exception>
    public async Task<IReadOnlyList<SourceColumn>> LoadAsync(string? extraColumnsSql, CancellationToken cancellationToken)
    {
        if (_writer is null || RecordCount == 0)
        {
            throw new InvalidOperationException("A batch needs at least one record.");
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        await _stream!.DisposeAsync().ConfigureAwait(false);
        _writer = null;
        _stream = null;
        RecordCount = 0;

        string reader = $"read_json({DuckDbConnection.QuoteLiteral(_scratchPath)}, format = 'newline_delimited', sample_size = -1, maximum_object_size = 268435456)";
        var select = new StringBuilder("SELECT ");
        bool first = true;
        foreach ((string name, string inferred) in await DescribeAsync($"SELECT * FROM {reader}", cancellationToken).ConfigureAwait(false))
        {
            string type = _types.TypeFor(name, inferred);
            string column = DuckDbConnection.QuoteIdentifier(name);
            select.Append(first ? string.Empty : ", ")
                .Append(string.Equals(type, inferred, StringComparison.OrdinalIgnoreCase) ? column : $"CAST({column} AS {type}) AS {column}");
            first = false;
        }

        if (!string.IsNullOrEmpty(extraColumnsSql))
        {
            select.Append(", ").Append(extraColumnsSql);
        }

        await ExecuteAsync($"CREATE OR REPLACE TEMP TABLE {QuotedName} AS {select} FROM {reader}", cancellationToken).ConfigureAwait(false);
        var columns = new List<SourceColumn>();
        foreach ((string name, string type) in await DescribeAsync($"SELECT * FROM {QuotedName}", cancellationToken).ConfigureAwait(false))
        {
            columns.Add(new SourceColumn(name, "json", type));
        }

        return columns;
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _stream?.Dispose();
        try
        {
            using DuckDbCommand command = _connection.CreateCommand();
            command.CommandText = $"DROP TABLE IF EXISTS {QuotedName}";
            command.ExecuteNonQuery();
        }
        catch (DuckDbException)
        {
            // A temp table left behind dies with the connection; it must not hide the stream's own outcome.
        }

        try
        {
            File.Delete(_scratchPath);
        }
        catch (IOException)
        {
            // A scratch file left in the temp folder is harmless.
        }
    }

    private async Task<List<(string Name, string Type)>> DescribeAsync(string selectSql, CancellationToken cancellationToken)
    {
        var columns = new List<(string, string)>();
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = $"SELECT column_name, column_type FROM (DESCRIBE {selectSql})";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        return columns;
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static string Literal(long value) => value.ToString(CultureInfo.InvariantCulture);
}
