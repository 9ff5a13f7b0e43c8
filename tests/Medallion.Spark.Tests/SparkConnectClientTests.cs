using Medallion.Spark.Protocol;

namespace Medallion.Spark.Tests;

public sealed class SparkConnectClientTests : ServerTestsBase
{

    [Fact]
    public async Task A_query_returns_every_row_decoded_from_arrow_batches_across_several_responses()
    {
        SparkResult result = await Client.SqlAsync("SELECT i AS id, 'row ' || i AS label FROM range(5) t(i) ORDER BY i");

        Assert.Equal([new SparkField("id", "bigint", true), new SparkField("label", "string", true)], result.Schema);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => new object?[] { (long)i, $"row {i}" }), result.Rows.Select(r => r.ToArray()));
    }

    [Fact]
    public async Task An_empty_result_still_has_its_columns()
    {
        SparkResult result = await Client.SqlAsync("SELECT 1 AS one WHERE false");

        Assert.Equal([new SparkField("one", "int", true)], result.Schema);
        Assert.Empty(result.Rows);
    }

    [Fact]
    public async Task A_finished_execution_is_released_on_the_server()
    {
        SparkResult result = await Client.SqlAsync("SELECT 1");

        ReleaseExecuteRequest release = Server.Service.Requests.OfType<ReleaseExecuteRequest>().Last();
        Assert.Equal((result.OperationId, ReleaseExecuteRequest.ReleaseOneofCase.ReleaseAll), (release.OperationId, release.ReleaseCase));
    }

    [Fact]
    public async Task A_stream_broken_mid_result_is_reattached_and_every_row_arrives_exactly_once()
    {
        Server.Service.BreakAfterResponses = 2;

        SparkResult result = await Client.SqlAsync("SELECT i FROM range(7) t(i) ORDER BY i");

        Assert.Equal(Enumerable.Range(0, 7).Select(i => (object?)(long)i), result.Rows.Select(r => r[0]));
        // Whatever the client had read before the reset, it resumed after it: no row twice, none missing.
        Assert.Equal(result.OperationId, Server.Service.Requests.OfType<ReattachExecuteRequest>().Single().OperationId);
    }

    [Fact]
    public async Task A_long_result_is_released_on_the_server_as_it_is_read_not_only_at_the_end()
    {
        Server.Service.RowsPerBatch = 1;
        await using IAsyncEnumerator<Apache.Arrow.RecordBatch> batches = Client.SqlBatchesAsync("SELECT i FROM range(4) t(i) ORDER BY i").GetAsyncEnumerator();

        Assert.True(await batches.MoveNextAsync());
        batches.Current.Dispose();
        Assert.True(await batches.MoveNextAsync());
        batches.Current.Dispose();

        // Responses: progress, then one batch per row; the first batch, read, is released while the rest stream.
        string operationId = Server.Service.Requests.OfType<ExecutePlanRequest>().Single().OperationId;
        Assert.Equal(Server.Service.ResponseIds(operationId)[1], await Server.Service.ReleasedUntil.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain(Server.Service.Requests.OfType<ReleaseExecuteRequest>(), r => r.ReleaseCase == ReleaseExecuteRequest.ReleaseOneofCase.ReleaseAll);
    }

    [Fact]
    public async Task A_stream_broken_before_its_first_response_is_reattached_from_the_start_and_the_query_runs_once()
    {
        Server.Service.BreakAfterResponses = 0;

        SparkResult result = await Client.SqlAsync("SELECT i FROM range(3) t(i) ORDER BY i");

        Assert.Equal([0L, 1L, 2L], result.Rows.Select(r => (long)r[0]!));
        Assert.Single(Server.Service.Requests.OfType<ExecutePlanRequest>());
        Assert.False(Server.Service.Requests.OfType<ReattachExecuteRequest>().Single().HasLastResponseId);
    }

    [Fact]
    public async Task An_execute_plan_the_server_never_registered_is_sent_again_with_the_same_operation_id()
    {
        Server.Service.LoseNextExecute = true;

        SparkResult result = await Client.SqlAsync("SELECT i FROM range(3) t(i) ORDER BY i");

        Assert.Equal([0L, 1L, 2L], result.Rows.Select(r => (long)r[0]!));
        Assert.Equal([result.OperationId, result.OperationId], Server.Service.Requests.OfType<ExecutePlanRequest>().Select(r => r.OperationId));
        Assert.Equal(result.OperationId, Server.Service.Requests.OfType<ReattachExecuteRequest>().Single().OperationId);
    }

    [Fact]
    public async Task A_stream_that_ends_without_result_complete_is_reattached()
    {
        Server.Service.EndEarlyAfterResponses = 3;

        SparkResult result = await Client.SqlAsync("SELECT i FROM range(6) t(i) ORDER BY i");

        Assert.Equal(Enumerable.Range(0, 6).Select(i => (object?)(long)i), result.Rows.Select(r => r[0]));
        ReattachExecuteRequest reattach = Server.Service.Requests.OfType<ReattachExecuteRequest>().Single();
        Assert.Equal(Server.Service.ResponseIds(result.OperationId)[2], reattach.LastResponseId);
    }

    [Fact]
    public async Task A_spark_error_reaches_the_user_with_its_error_class_and_full_message()
    {
        Server.Service.FailNext = ("TABLE_OR_VIEW_NOT_FOUND", "42P01", "The table or view `missing` cannot be found. Verify the spelling.");

        var error = await Assert.ThrowsAsync<SparkException>(() => Client.SqlAsync("SELECT * FROM missing"));

        Assert.Equal(ErrorCode.SparkQueryFailed, error.Code);
        Assert.Equal(("TABLE_OR_VIEW_NOT_FOUND", "42P01"), (error.ErrorClass, error.SqlState));
        Assert.Equal($"Spark failed operation {error.Details.OperationId}: [TABLE_OR_VIEW_NOT_FOUND] The table or view `missing` cannot be found. Verify the spelling. SQLSTATE: 42P01\nHelp: the error class and message are Spark's; fix the SQL or the tables it reads and run it again.", error.Message);
        Assert.Equal(["org.apache.spark.sql.AnalysisException"], error.Details.Classes);
        Assert.Equal("`missing`", error.Details.MessageParameters["relationName"]);
        Assert.Single(Server.Service.Requests.OfType<FetchErrorDetailsRequest>());
    }

    [Fact]
    public async Task A_slow_query_past_its_timeout_is_interrupted_on_the_server_and_reported_as_timed_out()
    {
        var options = new SparkQueryOptions { Timeout = TimeSpan.FromMilliseconds(300) };

        var error = await Assert.ThrowsAsync<SparkException>(() => Client.SqlAsync($"SELECT 1 {SparkConnectTestService.SlowMarker}", options));

        Assert.Equal(ErrorCode.SparkQueryTimedOut, error.Code);
        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Equal(await Server.Service.SlowStarted.Task, await Server.Service.Interrupted.Task);
    }

    [Fact]
    public async Task A_cancelled_query_is_interrupted_on_the_server_and_reported_as_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        Task<SparkResult> query = Client.SqlAsync($"SELECT 1 {SparkConnectTestService.SlowMarker}", cancellationToken: cancel.Token);
        string operationId = await Server.Service.SlowStarted.Task;

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => query);
        Assert.Equal(operationId, await Server.Service.Interrupted.Task);
    }

    [Fact]
    public async Task A_schema_is_analyzed_without_running_the_query()
    {
        IReadOnlyList<SparkField> schema = await Client.SchemaAsync("SELECT 1::BIGINT AS n, 'a' AS s, true AS b");

        Assert.Equal([new SparkField("n", "bigint", true), new SparkField("s", "string", true), new SparkField("b", "boolean", true)], schema);
        Assert.Empty(Server.Service.Requests.OfType<ExecutePlanRequest>());
    }

    [Fact]
    public async Task A_call_past_the_timeout_is_reported_as_timed_out()
    {
        await using SparkConnectClient client = SparkConnectClient.Connect(SparkConnectRemote.Parse(Server.Remote()), new SparkConnectClientOptions { QueryTimeout = TimeSpan.FromMilliseconds(300) });

        var error = await Assert.ThrowsAsync<SparkException>(() => client.SchemaAsync($"SELECT 1 {SparkConnectTestService.SlowAnalysisMarker}"));

        Assert.Equal(ErrorCode.SparkQueryTimedOut, error.Code);
        Assert.StartsWith("A Spark Connect call did not finish within the timeout of ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_value_set_in_the_session_is_read_back()
    {
        await Client.SetConfigAsync(new Dictionary<string, string> { ["spark.sql.shuffle.partitions"] = "8" });

        Assert.Equal("8", await Client.GetConfigAsync("spark.sql.shuffle.partitions"));
        Assert.Null(await Client.GetConfigAsync("spark.sql.unset"));
    }

    [Fact]
    public async Task A_query_sent_as_a_command_returns_the_rows_of_the_relation_spark_answers_with()
    {
        SparkResult result = await Client.CommandAsync("SELECT 41 + 1 AS answer");

        Assert.Equal([[42]], result.Rows.Select(r => r.ToArray()));
        Assert.Equal(2, Server.Service.Requests.OfType<ExecutePlanRequest>().Count());
    }

    [Fact]
    public async Task A_small_table_sent_as_a_local_relation_becomes_a_view_the_session_queries()
    {
        using var seed = new Apache.Arrow.RecordBatch.Builder()
            .Append("id", false, c => c.Int64(a => a.AppendRange([1, 2, 3])))
            .Append("name", true, c => c.String(a => a.Append("ana").Append("o'brien").AppendNull()))
            .Build();

        await Client.CreateTempViewAsync("seed", seed);

        SparkResult result = await Client.SqlAsync("SELECT id, name FROM seed ORDER BY id");
        Assert.Equal([[1L, "ana"], [2L, "o'brien"], [3L, null]], result.Rows.Select(r => r.ToArray()));
    }

    [Fact]
    public async Task A_session_the_server_lost_is_reported_instead_of_running_in_a_new_one()
    {
        await Client.SqlAsync("SELECT 1");
        Server.Service.ServerSideSessionId = "00000000-0000-4000-8000-0000000c0ffe";

        var error = await Assert.ThrowsAsync<SparkException>(() => Client.SqlAsync("SELECT 2"));

        Assert.Equal(ErrorCode.SparkUnavailable, error.Code);
        Assert.StartsWith($"The Spark Connect server no longer has session {Client.SessionId} as this client knew it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_with_a_cancelled_token_is_not_sent()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client.SqlAsync("SELECT 1", cancellationToken: new CancellationToken(canceled: true)));

        Assert.Empty(Server.Service.Requests);
    }

    [Fact]
    public async Task A_reattach_is_logged_as_a_warning_that_names_the_operation_and_no_token()
    {
        using var log = new RecordingLog();
        await using SparkConnectClient client = SparkConnectClient.Connect(
            SparkConnectRemote.Parse(Server.Remote(";user_id=ana;token=t0k3n;use_ssl=false")), new SparkConnectClientOptions { LoggerFactory = log });
        Server.Service.EndEarlyAfterResponses = 2;

        SparkResult result = await client.SqlAsync("SELECT 1");

        LoggedEvent reattach = log.Events.Single(e => e.EventId == 12202);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, reattach.Level);
        Assert.Equal($"The result stream of Spark operation {result.OperationId} broke or ended early (it ended without ResultComplete); reattaching after response {Server.Service.ResponseIds(result.OperationId)[1]}, attempt 1", reattach.Message);
        Assert.DoesNotContain(log.Lines, line => line.Contains("t0k3n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreadable_arrow_batch_is_reported_as_a_protocol_violation()
    {
        Server.Service.CorruptNextBatch = true;

        var error = await Assert.ThrowsAsync<SparkException>(() => Client.SqlAsync("SELECT 1"));

        Assert.Equal(ErrorCode.SparkProtocolViolation, error.Code);
        Assert.StartsWith($"The Spark Connect server broke the protocol in operation {error.Details.OperationId}: its Arrow batch cannot be read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_and_the_other_parameters_travel_as_headers_of_every_call()
    {
        await using SparkConnectClient client = SparkConnectClient.Connect(SparkConnectRemote.Parse(Server.Remote(";user_id=ana;token=t0k3n;use_ssl=false;x-databricks-cluster-id=0123-abc")));

        await client.SparkVersionAsync();

        Grpc.Core.Metadata headers = Server.Service.Headers.Single();
        Assert.Equal(("Bearer t0k3n", "0123-abc"), (headers.GetValue("authorization"), headers.GetValue("x-databricks-cluster-id")));
    }

    [Fact]
    public async Task A_batch_whose_rows_do_not_match_its_stated_count_is_refused_rather_than_read()
    {
        Server.Service.MiscountNextBatch = true;

        var error = await Assert.ThrowsAsync<SparkException>(() => Client.SqlAsync("SELECT 1"));

        Assert.Equal(ErrorCode.SparkProtocolViolation, error.Code);
        Assert.StartsWith($"The Spark Connect server broke the protocol in operation {error.Details.OperationId}: an Arrow batch holds 1 rows but the response says 2.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_response_naming_another_session_is_refused_rather_than_read()
    {
        Server.Service.ForgeNextSession = true;

        var error = await Assert.ThrowsAsync<SparkException>(() => Client.SqlAsync("SELECT 1"));

        Assert.Equal(ErrorCode.SparkProtocolViolation, error.Code);
        Assert.Contains($"not this client's '{Client.SessionId}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_reported_as_unavailable()
    {
        await using SparkConnectClient client = SparkConnectClient.Connect(SparkConnectRemote.Parse("sc://127.0.0.1:1/;user_id=x"));

        var error = await Assert.ThrowsAsync<SparkException>(() => client.SparkVersionAsync());

        Assert.Equal(ErrorCode.SparkUnavailable, error.Code);
        Assert.True(error.IsTransient);
    }
}
