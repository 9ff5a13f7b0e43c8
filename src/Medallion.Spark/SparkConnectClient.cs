using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Medallion.Spark.Internal;
using Medallion.Spark.Protocol;
using Microsoft.Extensions.Logging;

namespace Medallion.Spark;

/// <summary>
/// A session on a Spark Connect server (Apache Spark 3.4+, Databricks): runs SQL and returns rows decoded from Arrow
/// batches, reads a query's schema, sets and reads session configuration, and interrupts executions.
/// </summary>
/// <remarks>
/// <para>Every query runs as a reattachable execution with an operation id the client chooses: when the result stream
/// breaks in transit, or ends without <c>ResultComplete</c>, the client reattaches after the last response it read, so
/// each row arrives exactly once; when the result is read (or abandoned) it releases the execution on the server.
/// A cancelled token or a timeout interrupts the execution on the server before the call returns; a timeout is reported
/// as <see cref="ErrorCode.SparkQueryTimedOut"/> with an inner <see cref="TimeoutException"/>, a cancel as
/// <see cref="OperationCanceledException"/>.</para>
/// <para>Errors Spark reports arrive as <see cref="SparkException"/> with Spark's error class, SQLSTATE and message. One
/// client is one server session; its methods may be called concurrently. Disposing it releases the session, unless the
/// connection string joined an existing one (<c>session_id</c>).</para>
/// </remarks>
public sealed partial class SparkConnectClient : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly SparkConnectService.SparkConnectServiceClient _client;
    private readonly SparkConnectClientOptions _options;
    private readonly Metadata _headers;
    private readonly string _clientType;
    private readonly string _userId;
    private readonly bool _ownsSession;
    private readonly ILogger _logger;
    private string? _serverSideSessionId;
    private int _disposed;

    private SparkConnectClient(SparkConnectRemote remote, SparkConnectClientOptions options)
    {
        Remote = remote;
        _options = options;
        _logger = options.LoggerFactory.CreateLogger<SparkConnectClient>();
        SessionId = (remote.SessionId ?? Guid.NewGuid()).ToString();
        _ownsSession = remote.SessionId is null;
        _clientType = remote.UserAgent ?? options.ClientType;
        // As PySpark does: the connection string's user_id, else the operating system's user.
        _userId = remote.UserId ?? Environment.UserName;
        _headers = [];
        if (remote.Token is not null)
        {
            _headers.Add("authorization", "Bearer " + remote.Token);
        }

        foreach ((string name, string value) in remote.Headers)
        {
            _headers.Add(name, value);
        }

        _channel = GrpcChannel.ForAddress(remote.Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = (int)remote.MaxMessageBytes,
            ThrowOperationCanceledOnCancellation = true,
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                // Long queries send nothing for minutes; pings keep proxies from closing the idle connection.
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            },
        });
        _client = new SparkConnectService.SparkConnectServiceClient(_channel);
    }

    /// <summary>The server session's id: the connection string's <c>session_id</c>, or a new UUID.</summary>
    public string SessionId { get; }

    /// <summary>The address this client talks to.</summary>
    public SparkConnectRemote Remote { get; }

    /// <summary>Opens a client for a Spark Connect server. No call is made until the first operation.</summary>
    /// <param name="remote">The server's address, from <see cref="SparkConnectRemote.Parse"/>.</param>
    /// <param name="options">Timeouts and the client type; defaults when null.</param>
    public static SparkConnectClient Connect(SparkConnectRemote remote, SparkConnectClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(remote);
        return new SparkConnectClient(remote, options ?? new SparkConnectClientOptions());
    }

    /// <summary>Runs a query and returns its whole result, held in memory (see <see cref="SqlBatchesAsync"/> to stream it).</summary>
    /// <param name="sql">The query, in Spark SQL.</param>
    /// <param name="query">Tags and a timeout for this query; null for the client's defaults.</param>
    /// <param name="cancellationToken">Interrupts the query on the server when cancelled.</param>
    /// <exception cref="SparkException">Spark failed the query (<see cref="ErrorCode.SparkQueryFailed"/>), it timed out, the server is unreachable, or it broke the protocol.</exception>
    public async Task<SparkResult> SqlAsync(string sql, SparkQueryOptions? query = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        return await CollectAsync(SqlPlan(sql), query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a statement eagerly as a SQL command (DDL, DML, <c>SET</c>, <c>CREATE TABLE ... AS</c>), as PySpark's
    /// <c>spark.sql</c> does, and returns its result: the command's own rows, or the rows of a query.
    /// </summary>
    /// <param name="sql">The statement, in Spark SQL.</param>
    /// <param name="query">Tags and a timeout; null for the client's defaults.</param>
    /// <param name="cancellationToken">Interrupts the statement on the server when cancelled.</param>
    /// <exception cref="SparkException">Spark failed the statement, it timed out, the server is unreachable, or it broke the protocol.</exception>
    public async Task<SparkResult> CommandAsync(string sql, SparkQueryOptions? query = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        var plan = new Plan { Command = new Command { SqlCommand = new SqlCommand { Sql = sql } } };
        Relation? relation = null;
        string operationId = "";
        await foreach (ExecutePlanResponse response in ExecuteAsync(plan, query, cancellationToken).ConfigureAwait(false))
        {
            operationId = response.OperationId;
            if (response.ResponseTypeCase == ExecutePlanResponse.ResponseTypeOneofCase.SqlCommandResult)
            {
                relation = response.SqlCommandResult.Relation;
            }
        }

        return relation?.RelTypeCase switch
        {
            Relation.RelTypeOneofCase.LocalRelation when relation.LocalRelation.HasData => LocalRows(operationId, relation.LocalRelation.Data.Memory),
            // A query is not run by the command: Spark answers with the relation, which runs when read.
            Relation.RelTypeOneofCase.Sql => await CollectAsync(new Plan { Root = relation }, query, cancellationToken).ConfigureAwait(false),
            _ => new SparkResult(operationId, [], []),
        };
    }

    /// <summary>
    /// Runs a query and streams its Arrow record batches as they arrive; the caller disposes each batch. Abandoning
    /// the enumeration releases the execution on the server.
    /// </summary>
    /// <param name="sql">The query, in Spark SQL.</param>
    /// <param name="query">Tags and a timeout; null for the client's defaults.</param>
    /// <param name="cancellationToken">Interrupts the query on the server when cancelled.</param>
    /// <exception cref="SparkException">Spark failed the query, it timed out, the server is unreachable, or it broke the protocol.</exception>
    public async IAsyncEnumerable<Apache.Arrow.RecordBatch> SqlBatchesAsync(string sql, SparkQueryOptions? query = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        await foreach (ExecutePlanResponse response in ExecuteAsync(SqlPlan(sql), query, cancellationToken).ConfigureAwait(false))
        {
            if (response.ResponseTypeCase == ExecutePlanResponse.ResponseTypeOneofCase.ArrowBatch)
            {
                foreach (Apache.Arrow.RecordBatch batch in ArrowBatches.Read(response.ArrowBatch.Data.Memory, response.ArrowBatch.RowCount, response.OperationId))
                {
                    yield return batch;
                }
            }
        }
    }

    /// <summary>The columns a query would return, analyzed by Spark without running it.</summary>
    /// <param name="sql">The query, in Spark SQL.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SparkException">Spark cannot analyze the query (an unknown table or column), or the server is unreachable.</exception>
    public async Task<IReadOnlyList<SparkField>> SchemaAsync(string sql, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        AnalyzePlanRequest request = NewAnalyze();
        request.Schema = new AnalyzePlanRequest.Types.Schema { Plan = SqlPlan(sql) };
        AnalyzePlanResponse response = await UnaryAsync(c => _client.AnalyzePlanAsync(request, c), cancellationToken).ConfigureAwait(false);
        Observe(response.ServerSideSessionId);
        return response.ResultCase == AnalyzePlanResponse.ResultOneofCase.Schema
            ? SparkTypes.Fields(response.Schema.Schema_)
            : throw ArrowBatches.Violation("AnalyzePlan", $"it answered a schema request with {response.ResultCase}", null);
    }

    /// <summary>The server's Spark version, e.g. <c>3.5.1</c>.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SparkException">The server is unreachable or refused the call.</exception>
    public async Task<string> SparkVersionAsync(CancellationToken cancellationToken = default)
    {
        AnalyzePlanRequest request = NewAnalyze();
        request.SparkVersion = new AnalyzePlanRequest.Types.SparkVersion();
        AnalyzePlanResponse response = await UnaryAsync(c => _client.AnalyzePlanAsync(request, c), cancellationToken).ConfigureAwait(false);
        Observe(response.ServerSideSessionId);
        return response.SparkVersion?.Version ?? "";
    }

    /// <summary>Sets session configuration (e.g. <c>spark.sql.shuffle.partitions</c>) for the rest of the session.</summary>
    /// <param name="values">The keys and their values.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SparkException">Spark refused a key (e.g. a static configuration) or the server is unreachable.</exception>
    public async Task SetConfigAsync(IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var set = new ConfigRequest.Types.Set();
        set.Pairs.AddRange(values.Select(v => new KeyValue { Key = v.Key, Value = v.Value }));
        ConfigRequest request = NewConfig(new ConfigRequest.Types.Operation { Set = set });
        ConfigResponse response = await UnaryAsync(c => _client.ConfigAsync(request, c), cancellationToken).ConfigureAwait(false);
        Observe(response.ServerSideSessionId);
    }

    /// <summary>The value of a session configuration key, or null when it has none.</summary>
    /// <param name="key">The key, e.g. <c>spark.sql.session.timeZone</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="SparkException">The server is unreachable or refused the call.</exception>
    public async Task<string?> GetConfigAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var get = new ConfigRequest.Types.GetOption();
        get.Keys.Add(key);
        ConfigRequest request = NewConfig(new ConfigRequest.Types.Operation { GetOption = get });
        ConfigResponse response = await UnaryAsync(c => _client.ConfigAsync(request, c), cancellationToken).ConfigureAwait(false);
        Observe(response.ServerSideSessionId);
        KeyValue? pair = response.Pairs.FirstOrDefault(p => p.Key == key);
        return pair is { HasValue: true } ? pair.Value : null;
    }

    /// <summary>
    /// Sends a small table held in memory (an Arrow record batch) to the session as a temporary view, as PySpark's
    /// <c>createDataFrame(...).createOrReplaceTempView(name)</c> does: the rows travel in the request as a
    /// <c>LocalRelation</c> of Arrow IPC bytes, so it suits seeds and lookups, not bulk loads.
    /// </summary>
    /// <param name="name">The view's name; an existing temporary view of that name is replaced.</param>
    /// <param name="data">The rows and their schema.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">The batch's Arrow bytes are larger than the connection's <c>grpc_max_message_size</c>.</exception>
    /// <exception cref="SparkException">Spark refused the view, or the server is unreachable.</exception>
    public async Task CreateTempViewAsync(string name, Apache.Arrow.RecordBatch data, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(data);
        ByteString bytes = ArrowBatches.Write(data);
        if (bytes.Length > Remote.MaxMessageBytes)
        {
            throw new ArgumentException($"The rows for view '{name}' are {bytes.Length} bytes of Arrow, more than the {Remote.MaxMessageBytes} one message may carry; a local relation is for small inputs.", nameof(data));
        }

        var view = new CreateDataFrameViewCommand
        {
            Input = new Relation { LocalRelation = new LocalRelation { Data = bytes } },
            Name = name,
            IsGlobal = false,
            Replace = true,
        };
        await foreach (ExecutePlanResponse _ in ExecuteAsync(new Plan { Command = new Command { CreateDataframeView = view } }, null, cancellationToken).ConfigureAwait(false))
        {
        }
    }

    /// <summary>Interrupts one execution of this session.</summary>
    /// <param name="operationId">The execution's operation id (<see cref="SparkResult.OperationId"/>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The operation ids the server interrupted (none when it had already finished).</returns>
    /// <exception cref="SparkException">The server is unreachable or refused the call.</exception>
    public Task<IReadOnlyList<string>> InterruptOperationAsync(string operationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(operationId);
        InterruptRequest request = NewInterrupt(InterruptRequest.Types.InterruptType.OperationId);
        request.OperationId = operationId;
        return InterruptAsync(request, cancellationToken);
    }

    /// <summary>Interrupts every execution of this session that carries a tag (<see cref="SparkQueryOptions.Tags"/>).</summary>
    /// <param name="tag">The tag.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The operation ids the server interrupted.</returns>
    /// <exception cref="SparkException">The server is unreachable or refused the call.</exception>
    public Task<IReadOnlyList<string>> InterruptTagAsync(string tag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tag);
        InterruptRequest request = NewInterrupt(InterruptRequest.Types.InterruptType.Tag);
        request.OperationTag = tag;
        return InterruptAsync(request, cancellationToken);
    }

    /// <summary>Releases the server session (unless the connection string joined an existing one) and closes the channel.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_ownsSession)
        {
            var request = new ReleaseSessionRequest { SessionId = SessionId, UserContext = UserContext(), ClientType = _clientType };
            await BestEffortAsync(c => _client.ReleaseSessionAsync(request, c)).ConfigureAwait(false);
        }

        _channel.Dispose();
    }

    private static Plan SqlPlan(string sql) => new() { Root = new Relation { Sql = new SQL { Query = sql } } };

    private UserContext UserContext() => new() { UserId = _userId };

    private AnalyzePlanRequest NewAnalyze()
    {
        var request = new AnalyzePlanRequest { SessionId = SessionId, UserContext = UserContext(), ClientType = _clientType };
        if (_serverSideSessionId is { } observed)
        {
            request.ClientObservedServerSideSessionId = observed;
        }

        return request;
    }

    private ConfigRequest NewConfig(ConfigRequest.Types.Operation operation)
    {
        var request = new ConfigRequest { SessionId = SessionId, UserContext = UserContext(), ClientType = _clientType, Operation = operation };
        if (_serverSideSessionId is { } observed)
        {
            request.ClientObservedServerSideSessionId = observed;
        }

        return request;
    }

    private InterruptRequest NewInterrupt(InterruptRequest.Types.InterruptType type)
    {
        var request = new InterruptRequest { SessionId = SessionId, UserContext = UserContext(), ClientType = _clientType, InterruptType = type };
        if (_serverSideSessionId is { } observed)
        {
            request.ClientObservedServerSideSessionId = observed;
        }

        return request;
    }

    private async Task<IReadOnlyList<string>> InterruptAsync(InterruptRequest request, CancellationToken cancellationToken)
    {
        InterruptResponse response = await UnaryAsync(c => _client.InterruptAsync(request, c), cancellationToken).ConfigureAwait(false);
        Observe(response.ServerSideSessionId);
        return response.InterruptedIds.ToList();
    }

    private async Task<T> UnaryAsync<T>(Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        TimeSpan? timeout = _options.QueryTimeout;
        try
        {
            return await call(new CallOptions(_headers, deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (timeout is { } limit && !cancellationToken.IsCancellationRequested
            && (e is OperationCanceledException || (e is RpcException rpc && rpc.StatusCode == StatusCode.DeadlineExceeded)))
        {
            // The channel reports a passed deadline as a cancel (ThrowOperationCanceledOnCancellation); the caller's
            // token was not cancelled, so it is the timeout.
            throw TimedOut(null, limit, e);
        }
        catch (RpcException e)
        {
            throw await SparkErrors.ConvertAsync(e, null, FetchErrorDetailsAsync).ConfigureAwait(false);
        }
    }

    /// <summary>A call made to clean up (an interrupt, a release): bounded in time, and its failure only means the server cleans up by itself.</summary>
    private async Task BestEffortAsync<T>(Func<CallOptions, AsyncUnaryCall<T>> call)
    {
        try
        {
            await call(new CallOptions(_headers, deadline: DateTime.UtcNow + _options.CleanupTimeout)).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // The server expires abandoned executions and sessions itself; a failed cleanup must not hide the error
            // or the result that led to it.
        }
    }

    private async Task<FetchErrorDetailsResponse?> FetchErrorDetailsAsync(string errorId)
    {
        var request = new FetchErrorDetailsRequest { SessionId = SessionId, UserContext = UserContext(), ClientType = _clientType, ErrorId = errorId };
        if (_serverSideSessionId is { } observed)
        {
            request.ClientObservedServerSideSessionId = observed;
        }

        try
        {
            return await _client.FetchErrorDetailsAsync(request, new CallOptions(_headers, deadline: DateTime.UtcNow + _options.CleanupTimeout)).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // The status's own ErrorInfo is still reported; the details only make its message complete.
            return null;
        }
    }

    /// <summary>
    /// Keeps the server's id of the session from its first answer; a later answer with another id means the server
    /// lost the session (it restarted, or expired it), and with it the session's views and settings, as PySpark checks.
    /// </summary>
    private void Observe(string serverSideSessionId)
    {
        if (serverSideSessionId.Length == 0)
        {
            return;
        }

        string? known = Interlocked.CompareExchange(ref _serverSideSessionId, serverSideSessionId, null);
        if (known is not null && known != serverSideSessionId)
        {
            throw new SparkException(ErrorCode.SparkUnavailable,
                $"The Spark Connect server no longer has session {SessionId} as this client knew it (its server-side id was {known}, now {serverSideSessionId}): the server restarted or expired the session, and its temporary views and settings are gone.\nHelp: open a new client and run again.",
                new SparkErrorDetails("server-side session changed", null, null, [], new Dictionary<string, string>(), null, null));
        }
    }

    private static SparkResult LocalRows(string operationId, ReadOnlyMemory<byte> data)
    {
        var rows = new List<IReadOnlyList<object?>>();
        IReadOnlyList<SparkField> schema = [];
        try
        {
            using var reader = new Apache.Arrow.Ipc.ArrowStreamReader(data);
            while (reader.ReadNextRecordBatch() is { } batch)
            {
                using (batch)
                {
                    rows.AddRange(ArrowBatches.Rows(batch));
                }
            }

            schema = reader.Schema is { } arrowSchema ? SparkTypes.Fields(arrowSchema) : [];
        }
        catch (Exception e) when (e is System.IO.InvalidDataException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw ArrowBatches.Violation(operationId, $"the command's local relation cannot be read ({e.Message})", e);
        }

        return new SparkResult(operationId, schema, rows);
    }
}
