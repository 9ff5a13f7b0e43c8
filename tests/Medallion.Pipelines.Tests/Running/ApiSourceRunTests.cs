using Medallion.Catalog;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines.Running;

namespace Medallion.Pipelines.Tests.Running;

/// <summary><c>medallion run</c> with an HTTP API source: the API lands in bronze as a DAG root before the models that read it.</summary>
public sealed class ApiSourceRunTests : IDisposable
{
    private static readonly TableName s_bronze = new("bronze", "crm_orders");
    private static readonly TableName s_silver = new("silver", "orders");
    private readonly RunProject _project = new();
    private readonly List<(int Id, string UpdatedAt)> _records = [(1, "2026-01-01"), (2, "2026-01-02")];
    private readonly ApiServer _server;

    public ApiSourceRunTests()
    {
        // The API answers records updated at or after updated_since, as an inclusive API does.
        _server = new ApiServer(request =>
        {
            string since = request.QueryString["updated_since"] ?? string.Empty;
            lock (_records)
            {
                IEnumerable<string> items = _records
                    .Where(r => string.CompareOrdinal(r.UpdatedAt, since) >= 0)
                    .Select(r => $"{{\"id\":{r.Id},\"updated_at\":\"{r.UpdatedAt}\"}}");
                return ApiAnswer.Json("{\"items\":[" + string.Join(",", items) + "]}");
            }
        });
        _project.File("sources/api.yml", $"sources:\n  - name: crm_orders\n    url: {_server.BaseUrl}/orders\n    records: items\n    incremental: {{field: updated_at, param: updated_since}}\n");
        _project.Model("silver.orders", "SELECT id, updated_at FROM bronze.crm_orders", "materialized: merge\nunique_key: [id]");
    }

    public void Dispose()
    {
        _server.Dispose();
        _project.Dispose();
    }

    [Fact]
    public async Task A_run_loads_an_incremental_api_source_before_its_model_and_the_next_run_appends_only_new_records()
    {
        RunResult first = await _project.RunAsync();
        lock (_records)
        {
            _records.Add((3, "2026-01-03"));
        }

        RunResult second = await _project.RunAsync();

        Assert.True(first.Succeeded && second.Succeeded, first[s_bronze].Error ?? second[s_bronze].Error ?? second[s_silver].Error);
        Assert.Equal((2L, 1L), (first[s_bronze].RowsWritten!.Value, second[s_bronze].RowsWritten!.Value));
        Assert.Equal((StepKind.Source, RunMode.Incremental), (second[s_bronze].Kind, second[s_silver].Mode));
        Assert.Equal(["1", "2", "3"], await _project.QueryAsync("SELECT id FROM silver.orders ORDER BY id"));
        Assert.Equal(["1", "2", "3"], await _project.QueryAsync("SELECT id FROM bronze.crm_orders ORDER BY id"));
    }

    [Fact]
    public async Task A_run_whose_fence_refuses_commits_leaves_the_api_source_table_and_its_position_as_they_were()
    {
        RunResult first = await _project.RunAsync();
        lock (_records)
        {
            _records.Add((3, "2026-01-03"));
        }

        RunProject.RefusedRun refused = await _project.RunRefusedAsync(s_bronze);

        Assert.True(first.Succeeded, first[s_bronze].Error);
        refused.AssertTableLeftAsItWas();
        Assert.Equal(["1", "2"], await _project.QueryAsync("SELECT id FROM bronze.crm_orders ORDER BY id"));
    }
}
