using Google.Protobuf;
using Medallion.Spark.Protocol;

namespace Medallion.Spark.Tests;

/// <summary>
/// The exact requests each operation sends, as the service received them, against committed renderings in
/// <c>Golden/</c> (proto3 JSON, UUIDs numbered in order of appearance). Set MEDALLION_UPDATE_GOLDEN=1 to rewrite them.
/// </summary>
public sealed class GoldenRequestTests : ServerTestsBase
{
    [Fact]
    public async Task A_query_sends_a_reattachable_execute_plan_of_a_sql_relation_then_releases_it()
    {
        await Client.SqlAsync("SELECT 1 AS one", new SparkQueryOptions { Tags = ["medallion-run-7"] });

        AssertGolden("query");
    }

    [Fact]
    public async Task A_command_sends_a_sql_command_then_runs_the_relation_it_returns()
    {
        await Client.CommandAsync("SELECT 42 AS answer");

        AssertGolden("command");
    }

    [Fact]
    public async Task A_temp_view_sends_its_rows_as_a_local_relation_of_arrow_ipc_bytes()
    {
        using var seed = new Apache.Arrow.RecordBatch.Builder().Append("id", false, c => c.Int64(a => a.Append(7))).Build();

        await Client.CreateTempViewAsync("seed", seed);

        AssertGolden("temp-view");
    }

    [Fact]
    public async Task A_schema_sends_analyze_plan_with_the_sql_relation()
    {
        await Client.SchemaAsync("SELECT 1 AS one");

        AssertGolden("schema");
    }

    [Fact]
    public async Task Config_sends_set_with_its_pairs_and_get_option_with_its_key()
    {
        await Client.SetConfigAsync(new Dictionary<string, string> { ["spark.sql.session.timeZone"] = "UTC" });
        await Client.GetConfigAsync("spark.sql.session.timeZone");

        AssertGolden("config");
    }

    [Fact]
    public async Task Interrupts_name_their_tag_or_operation_id()
    {
        await Client.InterruptTagAsync("medallion-run-7");
        await Client.InterruptOperationAsync("00112233-4455-6677-8899-aabbccddeeff");

        AssertGolden("interrupt");
    }

    [Fact]
    public async Task A_stream_that_ends_early_is_reattached_after_the_last_response_read()
    {
        Server.Service.EndEarlyAfterResponses = 2;

        await Client.SqlAsync("SELECT 1 AS one");

        AssertGolden("reattach");
    }

    [Fact]
    public async Task A_result_of_several_batches_releases_each_batch_read_then_the_whole_execution()
    {
        await Client.SqlAsync("SELECT i FROM range(5) t(i) ORDER BY i");

        AssertGolden("release-until");
    }

    [Fact]
    public async Task An_execute_plan_lost_before_the_server_registered_it_is_sent_again_after_the_reattach_finds_no_operation()
    {
        Server.Service.LoseNextExecute = true;

        await Client.SqlAsync("SELECT 1 AS one");

        AssertGolden("execute-again");
    }

    [Fact]
    public async Task A_spark_error_with_an_error_id_fetches_its_details()
    {
        Server.Service.FailNext = ("DIVIDE_BY_ZERO", "22012", "Division by zero.");

        await Assert.ThrowsAsync<SparkException>(() => Client.SqlAsync("SELECT 1 / 0"));

        AssertGolden("error");
    }

    [Fact]
    public async Task Closing_the_client_releases_its_session()
    {
        await Client.DisposeAsync();

        AssertGolden("release-session");
    }

    [Fact]
    public void An_execute_plan_request_has_spark_connects_field_numbers_on_the_wire()
    {
        var request = new ExecutePlanRequest
        {
            SessionId = "s",
            Plan = new Plan { Root = new Relation { Sql = new SQL { Query = "q" } } },
            OperationId = "o",
        };

        // session_id = 1, plan = 3 { root = 1 { sql = 10 { query = 1 } } }, operation_id = 6.
        Assert.Equal(Convert.FromHexString("0A01731A070A0552030A0171320 16F".Replace(" ", "", StringComparison.Ordinal)), request.ToByteArray());
    }

    private void AssertGolden(string name) => GoldenRequests.Assert(Server.Service.Requests, name);
}
