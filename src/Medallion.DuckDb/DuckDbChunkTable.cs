using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using Medallion.DuckDb.Internal;
using Medallion.DuckDb.Native;

namespace Medallion.DuckDb;

/// <summary>
/// Rows kept in memory as DuckDB data chunks that this process owns: written with an appender
/// (<see cref="CreateAppender"/>) and read by SQL through <see cref="Source"/>, a call of the table function
/// <c>medallion_chunks(id)</c> that hands the chunks to the query as they are, with no copy into a table and none of a
/// table's statistics and compression work. For staging rows that one query reads right after they were written,
/// such as a batch on its way to a Parquet file.
/// </summary>
/// <remarks>
/// Any connection of the database the table was created on can read it, any number of times, until
/// <see cref="Clear"/> or <see cref="Dispose"/>. Writing and reading must not overlap: append, close the appender,
/// then run the queries, then clear. Not thread-safe otherwise.
/// </remarks>
public sealed unsafe class DuckDbChunkTable : IDisposable
{
    /// <summary>The table function every chunk table is read through, registered once per database.</summary>
    public const string FunctionName = "medallion_chunks";

    private static readonly ConcurrentDictionary<long, DuckDbChunkTable> s_open = new();
    private static long s_lastId;

    private readonly DuckDbLogicalTypeHandle[] _typeHandles;
    private readonly List<DuckDbDataChunkHandle> _chunks = [];
    private readonly Stack<DuckDbDataChunkHandle> _spare = new();
    private DuckDbAppender? _appender;
    private bool _disposed;

    private DuckDbChunkTable(string[] names, DuckDbLogicalTypeHandle[] typeHandles)
    {
        Id = Interlocked.Increment(ref s_lastId);
        ColumnNames = names;
        _typeHandles = typeHandles;
        Types = typeHandles.Select(LogicalTypeInfo.FromHandle).ToArray();
        s_open[Id] = this;
    }

    /// <summary>The table's number in this process; <see cref="Source"/> passes it to the table function.</summary>
    public long Id { get; }

    /// <summary>The SQL that reads the rows, for a <c>FROM</c> clause: <c>medallion_chunks(&lt;id&gt;)</c>.</summary>
    public string Source => $"{FunctionName}({Id})";

    /// <summary>The rows written and not cleared.</summary>
    public long RowCount { get; private set; }

    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> ColumnNames { get; }

    internal LogicalTypeInfo[] Types { get; }

    /// <summary>The bytes of the long strings in the chunks: kept until <see cref="Clear"/>, as the chunks point into them.</summary>
    internal NativeArena Strings { get; } = new();

    /// <summary>Creates an empty table with these columns (DuckDB type names such as <c>DECIMAL(12,2)</c>; nested types are not supported by the appender).</summary>
    /// <exception cref="DuckDbException">A type name is not one DuckDB knows.</exception>
    internal static DuckDbChunkTable Create(DuckDbConnection connection, IReadOnlyList<KeyValuePair<string, string>> columns)
    {
        if (columns.Count == 0)
        {
            throw new ArgumentException("A chunk table needs at least one column.", nameof(columns));
        }

        EnsureFunction(connection);
        string sql = "SELECT " + string.Join(", ", columns.Select(c => $"CAST(NULL AS {c.Value}) AS {DuckDbConnection.QuoteIdentifier(c.Key)}"));
        DuckDbState state = NativeMethods.Prepared.Prepare(connection.Handle, sql, out DuckDbPreparedStatementHandle statement);
        using (statement)
        {
            if (state != DuckDbState.Success)
            {
                throw new DuckDbException(ErrorCode.DuckDbPrepareFailed, DuckDbErrorType.Parser,
                    $"The columns of a chunk table are not valid DuckDB types ({string.Join(", ", columns.Select(c => c.Key + " " + c.Value))}): {NativeMethods.Prepared.PrepareError(statement)}");
            }

            var types = new DuckDbLogicalTypeHandle[columns.Count];
            for (int i = 0; i < types.Length; i++)
            {
                types[i] = NativeMethods.Prepared.ColumnLogicalType(statement, (ulong)i);
            }

            return new DuckDbChunkTable(columns.Select(c => c.Key).ToArray(), types);
        }
    }

    /// <summary>Opens an appender that adds rows to this table; close it before reading them. One at a time.</summary>
    public DuckDbAppender CreateAppender()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_appender is not null)
        {
            throw new InvalidOperationException($"Chunk table {Id} already has an open appender; close it first.");
        }

        _appender = new DuckDbAppender(this);
        return _appender;
    }

    /// <summary>Drops every row, keeping the memory for the next ones. No query may still be reading the table.</summary>
    public void Clear()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_appender is not null)
        {
            throw new InvalidOperationException($"Chunk table {Id} has an open appender; close it before clearing the table.");
        }

        foreach (DuckDbDataChunkHandle chunk in _chunks)
        {
            NativeMethods.DataChunk.Reset(chunk.DangerousGetHandle());
            _spare.Push(chunk);
        }

        _chunks.Clear();
        RowCount = 0;
        Strings.Reset();
    }

    /// <summary>Frees the chunks; a query that names the table afterwards fails.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        s_open.TryRemove(Id, out _);
        _appender?.Dispose();
        foreach (DuckDbDataChunkHandle chunk in _chunks.Concat(_spare))
        {
            chunk.Dispose();
        }

        _chunks.Clear();
        _spare.Clear();
        foreach (DuckDbLogicalTypeHandle type in _typeHandles)
        {
            type.Dispose();
        }

        Strings.Dispose();
    }

    /// <summary>An empty chunk of the table's types for an appender to fill.</summary>
    internal DuckDbDataChunkHandle RentChunk()
    {
        if (_spare.TryPop(out DuckDbDataChunkHandle? chunk))
        {
            return chunk;
        }

        IntPtr* types = stackalloc IntPtr[_typeHandles.Length];
        for (int i = 0; i < _typeHandles.Length; i++)
        {
            types[i] = _typeHandles[i].DangerousGetHandle();
        }

        return new DuckDbDataChunkHandle(NativeMethods.DataChunk.CreateDataChunk(types, (ulong)_typeHandles.Length));
    }

    /// <summary>Takes a filled chunk (its size set) from the appender.</summary>
    internal void Add(DuckDbDataChunkHandle chunk, ulong rows)
    {
        _chunks.Add(chunk);
        RowCount += (long)rows;
    }

    /// <summary>The appender closed, handing back the chunk it had not filled.</summary>
    internal void AppenderClosed(DuckDbDataChunkHandle unused)
    {
        NativeMethods.DataChunk.Reset(unused.DangerousGetHandle());
        _spare.Push(unused);
        _appender = null;
    }

    private static readonly object s_registerLock = new();
    private static readonly ConditionalWeakTable<DuckDbDatabase, object> s_registered = new();

    /// <summary>Registers the table function in the connection's database unless this process already did.</summary>
    private static void EnsureFunction(DuckDbConnection connection)
    {
        DuckDbDatabase database = connection.OpenDatabase;
        lock (s_registerLock)
        {
            if (s_registered.TryGetValue(database, out _))
            {
                return;
            }

            IntPtr function = NativeMethods.TableFunction.Create();
            try
            {
                NativeMethods.TableFunction.SetName(function, FunctionName);
                using (DuckDbLogicalTypeHandle bigint = NativeMethods.LogicalType.Create(DuckDbType.BigInt))
                {
                    NativeMethods.TableFunction.AddParameter(function, bigint);
                }

                NativeMethods.TableFunction.SetBind(function, &Bind);
                NativeMethods.TableFunction.SetInit(function, &Init);
                NativeMethods.TableFunction.SetFunction(function, &Scan);
                if (NativeMethods.TableFunction.Register(connection.Handle, function) != DuckDbState.Success && !IsRegistered(connection))
                {
                    throw new DuckDbException(ErrorCode.DuckDbQueryFailed, DuckDbErrorType.Catalog, $"Could not register the table function {FunctionName} in the database '{database.DataSource}'.");
                }
            }
            finally
            {
                NativeMethods.TableFunction.Destroy(ref function);
            }

            s_registered.Add(database, new object());
        }
    }

    // Several DuckDbDatabase objects can share one file database (DuckDB's instance cache): the first registered it.
    private static bool IsRegistered(DuckDbConnection connection)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM duckdb_functions() WHERE function_name = '{FunctionName}' AND function_type = 'table'";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Bind(IntPtr info)
    {
        try
        {
            IntPtr parameter = NativeMethods.TableFunction.BindGetParameter(info, 0);
            long id = NativeMethods.TableFunction.GetInt64(parameter);
            NativeMethods.Prepared.DestroyValue(ref parameter);
            if (!s_open.TryGetValue(id, out DuckDbChunkTable? table))
            {
                NativeMethods.TableFunction.BindSetError(info, $"{FunctionName}({id}): no chunk table {id} is open in this process (it was disposed, or never created).");
                return;
            }

            for (int i = 0; i < table._typeHandles.Length; i++)
            {
                NativeMethods.TableFunction.BindAddResultColumn(info, table.ColumnNames[i], table._typeHandles[i]);
            }

            NativeMethods.TableFunction.BindSetBindData(info, checked((IntPtr)id), IntPtr.Zero);
            NativeMethods.TableFunction.BindSetCardinality(info, (ulong)table.RowCount, isExact: true);
        }
        catch (Exception e)
        {
            NativeMethods.TableFunction.BindSetError(info, $"{FunctionName}: {e.Message}");
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Init(IntPtr info)
    {
        // The scan's state is the index of the next chunk; one thread reads, so the rows keep their order.
        long* next = (long*)NativeMethods.TableFunction.Malloc(sizeof(long));
        *next = 0;
        NativeMethods.TableFunction.InitSetInitData(info, (IntPtr)next, NativeMethods.TableFunction.FreeFunction);
        NativeMethods.TableFunction.InitSetMaxThreads(info, 1);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Scan(IntPtr info, IntPtr output)
    {
        try
        {
            long id = (long)NativeMethods.TableFunction.FunctionGetBindData(info);
            long* next = (long*)NativeMethods.TableFunction.FunctionGetInitData(info);
            if (!s_open.TryGetValue(id, out DuckDbChunkTable? table))
            {
                NativeMethods.TableFunction.FunctionSetError(info, $"{FunctionName}({id}): the chunk table was disposed while a query read it.");
                return;
            }

            if (*next >= table._chunks.Count)
            {
                NativeMethods.DataChunk.SetSize(output, 0);
                return;
            }

            IntPtr chunk = table._chunks[(int)(*next)++].DangerousGetHandle();
            for (int i = 0; i < table._typeHandles.Length; i++)
            {
                NativeMethods.TableFunction.VectorReferenceVector(NativeMethods.DataChunk.GetVector(output, (ulong)i), NativeMethods.DataChunk.GetVector(chunk, (ulong)i));
            }

            NativeMethods.DataChunk.SetSize(output, NativeMethods.DataChunk.GetSize(chunk));
        }
        catch (Exception e)
        {
            NativeMethods.TableFunction.FunctionSetError(info, $"{FunctionName}: {e.Message}");
        }
    }
}
