using System.Collections.Concurrent;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Medallion.DuckDb;
using Medallion.Spark.Protocol;
using Microsoft.AspNetCore.Http;
using Status = Google.Rpc.Status;

namespace Medallion.Spark.Tests;

/// <summary>
/// A Spark Connect service for the tests: it checks each request against the protocol (a UUID session id, a user
/// context, a client type, a reattachable execution with its own operation id, a SQL plan), runs the SQL on DuckDB and
/// streams the rows back as Arrow batches of <see cref="RowsPerBatch"/> rows, one per response. Faults are armed by the
/// tests: a stream that breaks after some responses, a Spark error with ErrorInfo, a query that runs until interrupted.
/// It also stands for Spark with Delta Lake: models' writes and reads of <c>delta.`path`</c> run on the lake (the
/// <c>.Lake</c> part).
/// </summary>
internal sealed partial class SparkConnectTestService : SparkConnectService.SparkConnectServiceBase, IDisposable
{
    public const string FirstServerSideSessionId = "00000000-0000-4000-8000-00000000beef";
    public const string SlowMarker = "/* slow */";

    /// <summary>A query whose analysis (AnalyzePlan's schema) never finishes; its execution is not slowed.</summary>
    public const string SlowAnalysisMarker = "/* slow analysis */";

    private readonly DuckDbConnection _duckDb = new();
    private readonly SemaphoreSlim _duckDbLock = new(1, 1);
    private readonly ConcurrentDictionary<string, Execution> _executions = new();
    // Settings are a session's own, as Spark's runtime config is.
    private readonly ConcurrentDictionary<(string Session, string Key), string> _config = new();
    private readonly ConcurrentDictionary<string, FetchErrorDetailsResponse> _errors = new();
    private readonly ConcurrentDictionary<string, List<string>> _responseIds = new();

    public SparkConnectTestService() => _duckDb.Open();

    public int RowsPerBatch { get; set; } = 2;

    /// <summary>The id the server gives its side of every session; a new one is what a restarted server answers with.</summary>
    public string ServerSideSessionId { get; set; } = FirstServerSideSessionId;

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<IMessage> Requests { get; } = new();

    /// <summary>The metadata headers of every call, in order.</summary>
    public ConcurrentQueue<Metadata> Headers { get; } = new();

    /// <summary>What a request did that the protocol does not allow; a test that ends with any fails.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>Breaks the next execution's stream (the connection is reset) after this many responses; once.</summary>
    public int? BreakAfterResponses { get; set; }

    /// <summary>Loses the next ExecutePlan before the server registers it (the connection is reset, no response sent); once.</summary>
    public bool LoseNextExecute { get; set; }

    /// <summary>Completed with the response id of the first <c>release_until</c> the service receives.</summary>
    public TaskCompletionSource<string> ReleasedUntil { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Ends the next execution's stream cleanly, without ResultComplete, after this many responses; once.</summary>
    public int? EndEarlyAfterResponses { get; set; }

    /// <summary>Sends the next execution's first Arrow batch as bytes that are not Arrow IPC; once.</summary>
    public bool CorruptNextBatch { get; set; }

    /// <summary>States one row more than the next execution's first Arrow batch holds; once.</summary>
    public bool MiscountNextBatch { get; set; }

    /// <summary>Names another session in the next execution's responses, as a confused or hostile server would; once.</summary>
    public bool ForgeNextSession { get; set; }

    /// <summary>The Spark error the next execution fails with: error class, SQLSTATE, message.</summary>
    public (string ErrorClass, string SqlState, string Message)? FailNext { get; set; }

    /// <summary>Completed with the operation id of each interrupt the service receives.</summary>
    public TaskCompletionSource<string> Interrupted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completed when a slow query has started, with its operation id.</summary>
    public TaskCompletionSource<string> SlowStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The response ids an execution sent (or would send), in order; kept after its release.</summary>
    public IReadOnlyList<string> ResponseIds(string operationId) => _responseIds[operationId];

    public override async Task ExecutePlan(ExecutePlanRequest request, IServerStreamWriter<ExecutePlanResponse> responseStream, ServerCallContext context)
    {
        Requests.Enqueue(request);
        CheckCommon(context, request.SessionId, request.UserContext, request.HasClientType, "ExecutePlan");
        if (!request.HasOperationId || !Guid.TryParseExact(request.OperationId, "D", out _))
        {
            Violate("ExecutePlan has no operation_id of its own (a UUID), so it cannot be reattached");
        }

        if (!request.RequestOptions.Any(o => o.ReattachOptions?.Reattachable == true))
        {
            Violate("ExecutePlan is not reattachable");
        }

        if (_executions.ContainsKey(request.OperationId))
        {
            // Spark refuses an operation id it already runs (INVALID_HANDLE.OPERATION_ALREADY_EXISTS): a client that sends
            // one again would run the query twice where Spark had not kept the first.
            Violate($"ExecutePlan sends operation {request.OperationId} again while the server has it");
        }

        if (LoseNextExecute)
        {
            LoseNextExecute = false;
            context.GetHttpContext().Abort();
            return;
        }

        if (request.Plan?.Command?.CreateDataframeView is { } view)
        {
            var created = new Execution(request.SessionId, request.OperationId) { ServerSideSessionId = ServerSideSessionId };
            _executions[request.OperationId] = created;
            await CreateViewAsync(view);
            created.Responses.Add(created.Response(r => r.ResultComplete = new ExecutePlanResponse.Types.ResultComplete()));
            await StreamAsync(created, 0, responseStream, context);
            return;
        }

        string sql = request.Plan?.OpTypeCase switch
        {
            Plan.OpTypeOneofCase.Root when request.Plan.Root.RelTypeCase == Relation.RelTypeOneofCase.Sql => request.Plan.Root.Sql.Query,
            Plan.OpTypeOneofCase.Command when request.Plan.Command.CommandTypeCase == Command.CommandTypeOneofCase.SqlCommand => request.Plan.Command.SqlCommand.Sql,
            _ => throw Refuse($"the plan is neither a SQL relation nor a SQL command: {request.Plan}"),
        };

        var execution = new Execution(ForgeNextSession ? Guid.NewGuid().ToString() : request.SessionId, request.OperationId) { ServerSideSessionId = ServerSideSessionId };
        ForgeNextSession = false;
        _executions[request.OperationId] = execution;
        if (FailNext is { } failure)
        {
            FailNext = null;
            throw SparkError(failure.ErrorClass, failure.SqlState, failure.Message);
        }

        if (sql.Contains(SlowMarker, StringComparison.Ordinal))
        {
            SlowStarted.TrySetResult(request.OperationId);
            await Task.WhenAny(execution.Interrupted.Task, Task.Delay(Timeout.Infinite, context.CancellationToken));
            throw new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "OPERATION_CANCELED"));
        }

        bool command = request.Plan.OpTypeCase == Plan.OpTypeOneofCase.Command;
        execution.Responses.AddRange(command ? (IsLakeWrite(sql) ? await LakeWriteResponsesAsync(execution, request.SessionId, sql) : CommandResponses(execution, sql)) : await QueryResponsesAsync(execution, sql));
        _responseIds[request.OperationId] = execution.Responses.Select(r => r.ResponseId).ToList();
        await StreamAsync(execution, 0, responseStream, context);
    }

    public override async Task ReattachExecute(ReattachExecuteRequest request, IServerStreamWriter<ExecutePlanResponse> responseStream, ServerCallContext context)
    {
        Requests.Enqueue(request);
        CheckCommon(context, request.SessionId, request.UserContext, request.HasClientType, "ReattachExecute");
        if (!_executions.TryGetValue(request.OperationId, out Execution? execution) || execution.SessionId != request.SessionId)
        {
            throw SparkError("INVALID_HANDLE.OPERATION_NOT_FOUND", "HY000", $"The handle {request.OperationId} is invalid. Operation not found.");
        }

        int from = 0;
        if (request.HasLastResponseId)
        {
            int index = execution.Responses.FindIndex(r => r.ResponseId == request.LastResponseId);
            if (index < 0)
            {
                Violate($"ReattachExecute names a response {request.LastResponseId} the execution never sent");
            }

            from = index + 1;
        }

        if (from <= execution.ReleasedThrough)
        {
            Violate($"ReattachExecute resumes at response {from}, which the client had released");
        }

        await StreamAsync(execution, from, responseStream, context);
    }

    public override Task<ReleaseExecuteResponse> ReleaseExecute(ReleaseExecuteRequest request, ServerCallContext context)
    {
        Requests.Enqueue(request);
        CheckCommon(context, request.SessionId, request.UserContext, request.HasClientType, "ReleaseExecute");
        var response = new ReleaseExecuteResponse { SessionId = request.SessionId, ServerSideSessionId = ServerSideSessionId };
        if (request.ReleaseCase == ReleaseExecuteRequest.ReleaseOneofCase.ReleaseUntil)
        {
            // The responses up to the one named are freed; it must be one the server sent.
            if (!_executions.TryGetValue(request.OperationId, out Execution? execution))
            {
                return Task.FromResult(response);
            }

            int index = execution.Responses.FindIndex(r => r.ResponseId == request.ReleaseUntil.ResponseId);
            if (index < 0 || index >= execution.Sent)
            {
                Violate($"ReleaseExecute releases until {request.ReleaseUntil.ResponseId}, a response the execution has not sent");
            }

            execution.ReleasedThrough = Math.Max(execution.ReleasedThrough, index);
            ReleasedUntil.TrySetResult(request.ReleaseUntil.ResponseId);
            response.OperationId = request.OperationId;
        }
        else if (request.ReleaseCase != ReleaseExecuteRequest.ReleaseOneofCase.ReleaseAll)
        {
            Violate("ReleaseExecute says neither release_all nor release_until");
        }
        else if (_executions.TryRemove(request.OperationId, out _))
        {
            response.OperationId = request.OperationId;
        }

        return Task.FromResult(response);
    }

    public override Task<InterruptResponse> Interrupt(InterruptRequest request, ServerCallContext context)
    {
        Requests.Enqueue(request);
        CheckCommon(context, request.SessionId, request.UserContext, request.HasClientType, "Interrupt");
        var response = new InterruptResponse { SessionId = request.SessionId, ServerSideSessionId = ServerSideSessionId };
        if (request.InterruptType == InterruptRequest.Types.InterruptType.OperationId && _executions.TryGetValue(request.OperationId, out Execution? execution))
        {
            execution.Interrupted.TrySetResult();
            response.InterruptedIds.Add(request.OperationId);
            Interrupted.TrySetResult(request.OperationId);
        }

        return Task.FromResult(response);
    }

    public override async Task<AnalyzePlanResponse> AnalyzePlan(AnalyzePlanRequest request, ServerCallContext context)
    {
        Requests.Enqueue(request);
        CheckCommon(context, request.SessionId, request.UserContext, request.HasClientType, "AnalyzePlan");
        var response = new AnalyzePlanResponse { SessionId = request.SessionId, ServerSideSessionId = ServerSideSessionId };
        switch (request.AnalyzeCase)
        {
            case AnalyzePlanRequest.AnalyzeOneofCase.SparkVersion:
                response.SparkVersion = new AnalyzePlanResponse.Types.SparkVersion { Version = "3.5.3" };
                return response;
            case AnalyzePlanRequest.AnalyzeOneofCase.Schema when request.Schema.Plan?.Root?.Sql is { } slow && slow.Query.Contains(SlowAnalysisMarker, StringComparison.Ordinal):
                // An analysis that never finishes: only the client's deadline ends the call.
                await Task.Delay(Timeout.Infinite, context.CancellationToken);
                throw Refuse("unreachable");
            case AnalyzePlanRequest.AnalyzeOneofCase.Schema when request.Schema.Plan?.Root?.Sql is { } query:
                // As Spark analyses a plan: the query's columns and their types, nothing run.
                string sql = await DuckDbQueryAsync(query.Query);
                var fields = new DataType.Types.Struct();
                foreach (RecordBatch described in await RunAsync($"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ({sql}))"))
                {
                    using (described)
                    {
                        var names = (StringArray)described.Column(0);
                        var types = (StringArray)described.Column(1);
                        for (int i = 0; i < described.Length; i++)
                        {
                            fields.Fields.Add(new DataType.Types.StructField { Name = names.GetString(i), DataType = SparkType(types.GetString(i)), Nullable = true });
                        }
                    }
                }

                response.Schema = new AnalyzePlanResponse.Types.Schema { Schema_ = new DataType { Struct = fields } };
                return response;
            default:
                throw Refuse($"AnalyzePlan asks for {request.AnalyzeCase}, which this service does not answer");
        }
    }

    public override Task<ConfigResponse> Config(ConfigRequest request, ServerCallContext context)
    {
        Requests.Enqueue(request);
        CheckCommon(context, request.SessionId, request.UserContext, request.HasClientType, "Config");
        var response = new ConfigResponse { SessionId = request.SessionId, ServerSideSessionId = ServerSideSessionId };
        switch (request.Operation?.OpTypeCase)
        {
            case ConfigRequest.Types.Operation.OpTypeOneofCase.Set:
                foreach (KeyValue pair in request.Operation.Set.Pairs)
                {
                    _config[(request.SessionId, pair.Key)] = pair.Value;
                }

                break;
            case ConfigRequest.Types.Operation.OpTypeOneofCase.GetOption:
                foreach (string key in request.Operation.GetOption.Keys)
                {
                    var pair = new KeyValue { Key = key };
                    if (_config.TryGetValue((request.SessionId, key), out string? value))
                    {
                        pair.Value = value;
                    }

                    response.Pairs.Add(pair);
                }

                break;
            default:
                throw Refuse($"Config operation {request.Operation?.OpTypeCase} is not answered here");
        }

        return Task.FromResult(response);
    }

    public override Task<FetchErrorDetailsResponse> FetchErrorDetails(FetchErrorDetailsRequest request, ServerCallContext context)
    {
        Requests.Enqueue(request);
        CheckCommon(context, request.SessionId, request.UserContext, request.HasClientType, "FetchErrorDetails");
        return Task.FromResult(_errors.TryGetValue(request.ErrorId, out FetchErrorDetailsResponse? details) ? details : new FetchErrorDetailsResponse { SessionId = request.SessionId });
    }

    public override Task<ReleaseSessionResponse> ReleaseSession(ReleaseSessionRequest request, ServerCallContext context)
    {
        Requests.Enqueue(request);
        CheckCommon(context, request.SessionId, request.UserContext, request.HasClientType, "ReleaseSession");
        return Task.FromResult(new ReleaseSessionResponse { SessionId = request.SessionId, ServerSideSessionId = ServerSideSessionId });
    }

    public void Dispose()
    {
        _duckDb.Dispose();
        _duckDbLock.Dispose();
    }

    private async Task StreamAsync(Execution execution, int from, IServerStreamWriter<ExecutePlanResponse> stream, ServerCallContext context)
    {
        int sent = 0;
        for (int i = from; i < execution.Responses.Count; i++)
        {
            if (BreakAfterResponses == sent)
            {
                BreakAfterResponses = null;
                context.GetHttpContext().Abort();
                return;
            }

            if (EndEarlyAfterResponses == sent)
            {
                EndEarlyAfterResponses = null;
                return;
            }

            // Counted before the write: the client may read it, and release it, before the write returns here.
            execution.Sent = Math.Max(execution.Sent, i + 1);
            await stream.WriteAsync(execution.Responses[i]);
            sent++;
        }
    }

    private async Task<List<ExecutePlanResponse>> QueryResponsesAsync(Execution execution, string sql)
    {
        var responses = new List<ExecutePlanResponse>
        {
            execution.Response(r => r.ExecutionProgress = new ExecutePlanResponse.Types.ExecutionProgress { NumInflightTasks = 1 }),
        };
        // Spark's spellings (backticked names and tables, table_changes_by_path) become DuckDB's; the client tests' plain
        // queries are DuckDB's already.
        bool spark = sql.Contains('`', StringComparison.Ordinal) || sql.Contains("table_changes_by_path", StringComparison.Ordinal);
        foreach (RecordBatch batch in await RunAsync(spark ? await DuckDbQueryAsync(sql) : sql))
        {
            using (batch)
            {
                ByteString data = CorruptNextBatch ? ByteString.CopyFromUtf8("not an Arrow stream, just text") : Medallion.Spark.Internal.ArrowBatches.Write(batch);
                CorruptNextBatch = false;
                long rowCount = batch.Length + (MiscountNextBatch ? 1 : 0);
                MiscountNextBatch = false;
                responses.Add(execution.Response(r => r.ArrowBatch = new ExecutePlanResponse.Types.ArrowBatch { RowCount = rowCount, Data = data }));
            }
        }

        responses.Add(execution.Response(r => r.ResultComplete = new ExecutePlanResponse.Types.ResultComplete()));
        return responses;
    }

    private static List<ExecutePlanResponse> CommandResponses(Execution execution, string sql) =>
    [
        // As Spark answers a query sent as a command: the relation, to run when read.
        execution.Response(r => r.SqlCommandResult = new ExecutePlanResponse.Types.SqlCommandResult { Relation = new Relation { Sql = new SQL { Query = sql } } }),
        execution.Response(r => r.ResultComplete = new ExecutePlanResponse.Types.ResultComplete()),
    ];

    /// <summary>A temporary view over a local relation: its Arrow rows become a DuckDB temporary table of that name.</summary>
    private async Task CreateViewAsync(CreateDataFrameViewCommand view)
    {
        if (view.Input?.LocalRelation is not { HasData: true } local || view.IsGlobal || !view.Replace
            || !System.Text.RegularExpressions.Regex.IsMatch(view.Name, "^[A-Za-z_][A-Za-z0-9_]*$"))
        {
            throw Refuse($"this service creates session views of a local relation with replace=true under a plain name, not {view}");
        }

        using var reader = new ArrowStreamReader(local.Data.Memory);
        var rows = new List<string>();
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            using (batch)
            {
                for (int row = 0; row < batch.Length; row++)
                {
                    rows.Add("(" + string.Join(", ", Enumerable.Range(0, batch.ColumnCount).Select(c => Literal(Medallion.Spark.Internal.ArrowBatches.Value(batch.Column(c), row)))) + ")");
                }
            }
        }

        string columns = string.Join(", ", reader.Schema.FieldsList.Select(f => $"\"{f.Name.Replace("\"", "\"\"", StringComparison.Ordinal)}\""));
        await RunAsync($"CREATE OR REPLACE TEMP TABLE {view.Name} AS SELECT * FROM (VALUES {string.Join(", ", rows)}) AS t({columns})");
    }

    private static string Literal(object? value) => value switch
    {
        null => "NULL",
        string text => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'",
        bool flag => flag ? "TRUE" : "FALSE",
        // A bare literal is an INTEGER in DuckDB; a bigint must stay one.
        long number => number.ToString(System.Globalization.CultureInfo.InvariantCulture) + "::BIGINT",
        IFormattable number => number.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => throw Refuse($"a local relation value of type {value.GetType().Name} is not loaded by this service"),
    };

    private async Task<List<RecordBatch>> RunAsync(string sql)
    {
        await _duckDbLock.WaitAsync();
        try
        {
            using DuckDbCommand command = _duckDb.CreateCommand();
            command.CommandText = sql;
            using System.Data.Common.DbDataReader reader = command.ExecuteReader();
            return ArrowOf(reader, RowsPerBatch);
        }
        catch (DuckDbException e)
        {
            throw SparkError("DUCKDB_ERROR", "42000", e.Message);
        }
        finally
        {
            _duckDbLock.Release();
        }
    }

    private static List<RecordBatch> ArrowOf(System.Data.Common.DbDataReader reader, int rowsPerBatch)
    {
        var batches = new List<RecordBatch>();
        var rows = new List<object?[]>();
        var fields = Enumerable.Range(0, reader.FieldCount).Select(i => new Apache.Arrow.Field(reader.GetName(i), ArrowType(reader.GetFieldType(i)), true)).ToList();
        var schema = new Apache.Arrow.Schema(fields, null);
        while (true)
        {
            bool more = reader.Read();
            if (more)
            {
                var values = new object?[reader.FieldCount];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(values);
            }

            // Spark sends at least one batch, so an empty result still carries its schema.
            if (rows.Count == rowsPerBatch || (!more && (rows.Count > 0 || batches.Count == 0)))
            {
                batches.Add(Batch(schema, rows));
                rows.Clear();
            }

            if (!more)
            {
                return batches;
            }
        }
    }

    private static RecordBatch Batch(Apache.Arrow.Schema schema, List<object?[]> rows)
    {
        var arrays = new List<IArrowArray>();
        for (int column = 0; column < schema.FieldsList.Count; column++)
        {
            IEnumerable<object?> values = rows.Select(r => r[column]);
            arrays.Add(schema.FieldsList[column].DataType switch
            {
                Apache.Arrow.Types.Int64Type => Fill(new Int64Array.Builder(), values, (b, v) => b.Append(Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)), b => b.AppendNull()).Build(),
                Apache.Arrow.Types.Int32Type => Fill(new Int32Array.Builder(), values, (b, v) => b.Append((int)v), b => b.AppendNull()).Build(),
                Apache.Arrow.Types.DoubleType => Fill(new DoubleArray.Builder(), values, (b, v) => b.Append((double)v), b => b.AppendNull()).Build(),
                Apache.Arrow.Types.BooleanType => Fill(new BooleanArray.Builder(), values, (b, v) => b.Append((bool)v), b => b.AppendNull()).Build(),
                _ => Fill(new StringArray.Builder(), values, (b, v) => b.Append(Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)), b => b.AppendNull()).Build(),
            });
        }

        return new RecordBatch(schema, arrays, rows.Count);
    }

    private static TBuilder Fill<TBuilder>(TBuilder builder, IEnumerable<object?> values, Action<TBuilder, object> append, Action<TBuilder> appendNull)
    {
        foreach (object? value in values)
        {
            if (value is null)
            {
                appendNull(builder);
            }
            else
            {
                append(builder, value);
            }
        }

        return builder;
    }

    private static Apache.Arrow.Types.IArrowType ArrowType(System.Type type) => type switch
    {
        _ when type == typeof(long) || type == typeof(System.Numerics.BigInteger) => Apache.Arrow.Types.Int64Type.Default,
        _ when type == typeof(int) => Apache.Arrow.Types.Int32Type.Default,
        _ when type == typeof(double) => Apache.Arrow.Types.DoubleType.Default,
        _ when type == typeof(bool) => Apache.Arrow.Types.BooleanType.Default,
        _ => Apache.Arrow.Types.StringType.Default,
    };

    /// <summary>The Spark type of a DuckDB column type, as <c>DESCRIBE</c> spells it.</summary>
    private static DataType SparkType(string duckDbType) => duckDbType switch
    {
        "BIGINT" => new DataType { Long = new DataType.Types.Long() },
        "INTEGER" => new DataType { Integer = new DataType.Types.Integer() },
        "SMALLINT" => new DataType { Short = new DataType.Types.Short() },
        "TINYINT" => new DataType { Byte = new DataType.Types.Byte() },
        "DOUBLE" => new DataType { Double = new DataType.Types.Double() },
        "FLOAT" => new DataType { Float = new DataType.Types.Float() },
        "BOOLEAN" => new DataType { Boolean = new DataType.Types.Boolean() },
        "DATE" => new DataType { Date = new DataType.Types.Date() },
        "TIMESTAMP WITH TIME ZONE" => new DataType { Timestamp = new DataType.Types.Timestamp() },
        "TIMESTAMP" => new DataType { TimestampNtz = new DataType.Types.TimestampNTZ() },
        "BLOB" => new DataType { Binary = new DataType.Types.Binary() },
        _ when DecimalType().Match(duckDbType) is { Success: true } d => new DataType
        {
            Decimal = new DataType.Types.Decimal { Precision = int.Parse(d.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Scale = int.Parse(d.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) },
        },
        _ => new DataType { String = new DataType.Types.String() },
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"^DECIMAL\((\d+),(\d+)\)$")]
    private static partial System.Text.RegularExpressions.Regex DecimalType();

    /// <summary>A Spark error as Spark sends one: the status's ErrorInfo with the error class, and the full error kept for FetchErrorDetails.</summary>
    private RpcException SparkError(string errorClass, string sqlState, string message)
    {
        string errorId = Guid.NewGuid().ToString();
        var info = new ErrorInfo { Reason = "org.apache.spark.sql.AnalysisException", Domain = "org.apache.spark" };
        info.Metadata.Add("errorClass", errorClass);
        info.Metadata.Add("sqlState", sqlState);
        info.Metadata.Add("classes", "[\"org.apache.spark.sql.AnalysisException\",\"org.apache.spark.sql.SparkThrowable\"]");
        info.Metadata.Add("messageParameters", "{\"relationName\":\"`missing`\"}");
        info.Metadata.Add("errorId", errorId);
        var details = new FetchErrorDetailsResponse { RootErrorIdx = 0, ServerSideSessionId = ServerSideSessionId };
        var error = new FetchErrorDetailsResponse.Types.Error { Message = $"[{errorClass}] {message} SQLSTATE: {sqlState}", SparkThrowable = new() { ErrorClass = errorClass, SqlState = sqlState } };
        error.ErrorTypeHierarchy.Add("org.apache.spark.sql.AnalysisException");
        details.Errors.Add(error);
        _errors[errorId] = details;
        // The status's message is truncated, as Spark's may be; the full one comes from FetchErrorDetails.
        string truncated = message.Length > 20 ? message[..20] + "..." : message;
        var status = new Status { Code = (int)StatusCode.Internal, Message = $"[{errorClass}] {truncated}" };
        status.Details.Add(Any.Pack(info));
        return status.ToRpcException();
    }

    private void CheckCommon(ServerCallContext context, string sessionId, UserContext? user, bool hasClientType, string call)
    {
        Headers.Enqueue(context.RequestHeaders);

        if (!Guid.TryParseExact(sessionId, "D", out _))
        {
            Violate($"{call} has session_id '{sessionId}', not a UUID");
        }

        if (user is null || user.UserId.Length == 0)
        {
            Violate($"{call} has no user context with a user id");
        }

        if (!hasClientType)
        {
            Violate($"{call} has no client_type");
        }
    }

    private void Violate(string what)
    {
        Violations.Enqueue(what);
        throw Refuse(what);
    }

    private static RpcException Refuse(string what) => new(new Grpc.Core.Status(StatusCode.InvalidArgument, what));

    private sealed class Execution(string sessionId, string operationId)
    {
        public string SessionId { get; } = sessionId;

        public string OperationId { get; } = operationId;

        public List<ExecutePlanResponse> Responses { get; } = [];

        public TaskCompletionSource Interrupted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>How many of <see cref="Responses"/> were written to a stream, at most.</summary>
        public int Sent { get; set; }

        /// <summary>The index of the last response the client released (<c>release_until</c>); -1 for none.</summary>
        public int ReleasedThrough { get; set; } = -1;

        public string ServerSideSessionId { get; init; } = FirstServerSideSessionId;

        public ExecutePlanResponse Response(Action<ExecutePlanResponse> fill)
        {
            var response = new ExecutePlanResponse
            {
                SessionId = SessionId,
                OperationId = OperationId,
                ResponseId = Guid.NewGuid().ToString(),
                ServerSideSessionId = ServerSideSessionId,
            };
            fill(response);
            return response;
        }
    }
}
