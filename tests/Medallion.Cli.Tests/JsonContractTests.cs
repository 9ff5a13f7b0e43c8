using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Medallion.Server;
using Microsoft.Data.Sqlite;

namespace Medallion.Cli.Tests;

/// <summary>
/// The CLI's <c>--format json</c> and the REST API write each record the same way: one project, built by the CLI, read
/// by both (the REST API as the operator of a real server on a loopback port), document against document.
/// </summary>
public sealed class JsonContractTests(JsonContractTests.Project project) : IClassFixture<JsonContractTests.Project>
{
    [Fact]
    public async Task Tables_are_written_as_the_rest_api_lists_them()
    {
        AssertSame(await RestAsync("api/tables"), await CliAsync("tables"));
    }

    [Fact]
    public async Task A_described_table_is_written_as_the_rest_api_describes_it()
    {
        AssertSame(await RestAsync("api/tables/silver.orders"), await CliAsync("describe", "silver.orders"));
    }

    [Fact]
    public async Task A_tables_history_is_written_as_the_rest_api_lists_it()
    {
        AssertSame(await RestAsync("api/tables/bronze.orders/history?limit=25"), await CliAsync("history", "bronze.orders", "--last", "25"));
    }

    [Fact]
    public async Task Each_listed_run_is_written_as_the_rest_api_lists_it()
    {
        JsonNode cli = await CliAsync("runs");
        JsonNode rest = (await RestAsync("api/runs"))["runs"]!;

        Assert.Equal(2, rest.AsArray().Count);
        AssertSame(rest, new JsonArray([.. cli.AsArray().Select(summary => summary!["run"]!.DeepClone())]));
    }

    [Fact]
    public async Task A_run_with_its_models_quality_and_passes_is_written_as_the_rest_api_shows_it()
    {
        foreach (JsonNode? run in (await RestAsync("api/runs"))["runs"]!.AsArray())
        {
            string id = run!["id"]!.GetValue<string>();
            AssertSame(await RestAsync("api/runs/" + id), await CliAsync("runs", id));
        }
    }

    [Fact]
    public async Task The_passes_an_ingest_prints_are_the_ones_the_rest_api_shows_for_its_run()
    {
        string id = project.Ingested[0]!["run_id"]!.GetValue<string>();

        AssertSame((await RestAsync("api/runs/" + id))["sources"]!, project.Ingested);
    }

    [Fact]
    public async Task Each_job_is_written_as_the_rest_api_lists_it_with_its_last_run_as_the_rest_api_lists_runs()
    {
        JsonNode cli = await CliAsync("jobs");

        AssertSame(await RestAsync("api/jobs"), new JsonArray([.. cli.AsArray().Select(summary => summary!["job"]!.DeepClone())]));
        foreach (JsonNode? summary in cli.AsArray())
        {
            JsonArray runs = (await RestAsync($"api/runs?job={summary!["job"]!["name"]!.GetValue<string>()}&limit=1"))["runs"]!.AsArray();
            AssertSame(runs.Count == 0 ? null : runs[0], summary["last_run"]);
        }
    }

    private async Task<JsonNode> CliAsync(params string[] args)
    {
        Cli.Result result = await Cli.RunAsync([.. args, "--format", "json", "--project", project.Directory]);
        Assert.True(result.ExitCode == 0, result.Error);
        return JsonNode.Parse(result.Output)!;
    }

    private async Task<JsonNode> RestAsync(string path) => JsonNode.Parse(await project.Http.GetStringAsync(path))!;

    private static void AssertSame(JsonNode? rest, JsonNode? cli) =>
        Assert.True(JsonNode.DeepEquals(rest, cli), $"REST:\n{rest?.ToJsonString()}\nCLI:\n{cli?.ToJsonString()}");

    /// <summary>
    /// A project whose CLI ingested a file source (its printed passes kept) and built two models with expectations,
    /// then a server running it. Every expectation holds: a broken one's samples would be audited as read, and the
    /// audit table would join the table list between two reads.
    /// </summary>
    public sealed class Project : IAsyncLifetime
    {
        private MedallionServer _server = null!;

        public string Directory { get; } = Path.Combine(Path.GetTempPath(), "medallion-json-contract-" + Guid.NewGuid().ToString("N"));

        public HttpClient Http { get; private set; } = null!;

        public JsonNode Ingested { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Write("medallion.yml", "name: shop\nstorage: lake\n");
            Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    target: bronze.orders\n");
            Write("data/1.csv", "order_id,amount\n1,10\n2,20\n3,5\n");
            Write("models/silver/orders.sql", """
                /* ---
                description: Orders, typed.
                owner: sales-team
                tags: [sales]
                columns:
                  order_id:
                    description: The shop's order number.
                expectations:
                  - not_null: [order_id]
                  - expression: amount >= 0
                    name: amount_positive
                    severity: warn
                --- */
                SELECT CAST(order_id AS BIGINT) AS order_id, CAST(amount AS DECIMAL(10, 2)) AS amount FROM bronze.orders
                """);
            Write("models/gold/revenue.sql", "SELECT sum(amount) AS revenue FROM silver.orders\n");
            Write("jobs/jobs.yml", "jobs:\n  - name: nightly\n    select: silver.orders+\n    schedule: \"@daily\"\n    catchup: none\n  - name: chain\n    select: gold.revenue\n    after: [nightly]\n");
            Cli.Result ingest = await Cli.RunAsync("ingest", "--format", "json", "--project", Directory);
            Assert.True(ingest.ExitCode == 0, ingest.Error);
            Ingested = JsonNode.Parse(ingest.Output)!;
            Cli.Result run = await Cli.RunAsync("run", "--project", Directory);
            Assert.True(run.ExitCode == 0, run.Error + run.Output);

            _server = await MedallionServer.StartAsync(new MedallionServerOptions { ProjectDirectory = Directory, HttpPort = 0, Grace = TimeSpan.FromSeconds(2) });
            ServerRuntimeFile runtime = (await ServerRuntimeFile.ReadAsync(Directory))!;
            Http = new HttpClient { BaseAddress = runtime.Url };
            Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", runtime.Token);
        }

        public async Task DisposeAsync()
        {
            Http.Dispose();
            await _server.DisposeAsync();
            SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        private void Write(string relative, string content)
        {
            string path = Path.Combine(Directory, relative);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
    }
}
