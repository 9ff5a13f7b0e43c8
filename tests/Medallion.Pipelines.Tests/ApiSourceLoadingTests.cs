using Medallion.Catalog;
using Medallion.Ingestion.Http;
using Medallion.Ingestion.Tests;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Sources;

namespace Medallion.Pipelines.Tests;

/// <summary>HTTP API sources in sources/*.yml: read with file:line:column errors, and landed in bronze through the project.</summary>
public sealed class ApiSourceLoadingTests : IDisposable
{
    private readonly TestProject _project = new("name: shop\nstorage: lake\n");

    public void Dispose() => _project.Dispose();

    private async Task<MedallionException> LoadFailsAsync(string sources)
    {
        _project.Write("sources/api.yml", sources);
        return await Assert.ThrowsAsync<MedallionException>(() => _project.LoadAsync());
    }

    [Fact]
    public async Task An_api_source_loads_its_paging_auth_and_incremental_settings_with_secrets_left_unresolved()
    {
        _project.Write("sources/api.yml", """
            sources:
              - name: crm_orders
                url: https://api.example.com/v1/orders?key=${CRM_KEY}
                records: data.items
                auth: {type: bearer, token: "${CRM_TOKEN}"}
                pagination: {type: cursor, path: meta.next, param: after}
                incremental: {field: updated_at, param: updated_since}
                nested: flatten
                max_attempts: 3
            """);

        ApiSourceDefinition source = Assert.Single((await _project.LoadAsync()).ApiSources);

        Assert.Equal(new TableName("bronze", "crm_orders"), source.Target);
        Assert.Equal(
            ("https://api.example.com/v1/orders?key=${CRM_KEY}", HttpAuthKind.Bearer, "${CRM_TOKEN}", HttpPagination.Cursor, "meta.next", "after", "updated_at", "updated_since", NestedJson.Flatten, 3),
            (source.Options.Url, source.Options.Auth, source.Options.Token, source.Options.Pagination, source.Options.CursorPath, source.Options.CursorParameter,
             source.Options.IncrementalField, source.Options.IncrementalParameter, source.Options.Nested, source.Options.MaxAttempts));
    }

    [Fact]
    public async Task An_unknown_pagination_type_is_refused_at_its_line_with_the_choices()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - name: crm\n    url: https://api.example.com/orders\n    pagination: {type: pages}\n");

        Assert.Equal("sources/api.yml:4:24: 'type' cannot be 'pages'. Did you mean 'page'? Expected one of: page, offset, cursor, link.", error.Message);
    }

    [Fact]
    public async Task Bearer_auth_without_a_token_is_refused_at_its_line()
    {
        MedallionException error = await LoadFailsAsync("sources:\n  - name: crm\n    url: https://api.example.com/orders\n    auth:\n      type: bearer\n");

        Assert.Equal("sources/api.yml:5:7: 'auth' of type bearer (source 'crm') needs 'token'. Expected e.g. 'token: ${API_TOKEN}'.", error.Message);
    }

    [Fact]
    public async Task An_api_source_lands_in_its_bronze_table_and_a_missing_secret_names_the_source_and_variable()
    {
        using var server = new ApiServer(r => r.Headers["Authorization"] == "Bearer t0k" ? ApiAnswer.Json("{\"items\":[{\"id\":1},{\"id\":2}]}") : new ApiAnswer(401, "{}"));
        _project.Write("sources/api.yml", $"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n    auth: {{type: bearer, token: \"${{CRM_TOKEN}}\"}}\n");
        MedallionProject project = await _project.LoadAsync();
        using var database = DuckDb.DuckDbDatabase.Open();
        using DuckDb.DuckDbConnection connection = database.CreateConnection();

        var missing = await Assert.ThrowsAsync<MedallionException>(() => ApiSourceLoader.LoadAsync(project, project.ApiSources[0], new Engine.DeltaWriter(connection), _ => null));
        DatabaseTableResult result = await ApiSourceLoader.LoadAsync(project, project.ApiSources[0], new Engine.DeltaWriter(connection), name => name == "CRM_TOKEN" ? "t0k" : null);

        Assert.Equal("Source 'crm': 'auth.token' refers to the environment variable 'CRM_TOKEN', which is not set.", missing.Message.Split('\n')[0]);
        Assert.Equal((2L, 0L), (result.Result.Rows, result.Version));
        Assert.True(File.Exists(Path.Combine(_project.Directory, "lake", "bronze", "crm", "_delta_log", "00000000000000000000.json")));
    }

    [Fact]
    public async Task A_continuous_ingest_polls_an_incremental_api_each_pass_for_what_is_new()
    {
        int calls = 0;
        using var server = new ApiServer(r =>
        {
            Interlocked.Increment(ref calls);
            return r.Url!.Query.Contains("since=", StringComparison.Ordinal)
                ? ApiAnswer.Json("{\"items\":[{\"id\":3,\"at\":\"2026-01-03\"}]}")
                : ApiAnswer.Json("{\"items\":[{\"id\":1,\"at\":\"2026-01-01\"},{\"id\":2,\"at\":\"2026-01-02\"}]}");
        });
        _project.Write("sources/api.yml", $"sources:\n  - name: crm\n    url: {server.BaseUrl}/orders\n    records: items\n    incremental: {{field: at, param: since}}\n");
        MedallionProject project = await _project.LoadAsync();
        using var database = DuckDb.DuckDbDatabase.Open();
        using DuckDb.DuckDbConnection connection = database.CreateConnection();
        using var stop = new CancellationTokenSource();
        var passes = new List<long>();

        await foreach (DatabaseTableResult result in DatabaseSourceLoader.RunContinuousAsync(project, [], project.ApiSources, new Engine.DeltaWriter(connection), TimeSpan.FromMilliseconds(50), cancellationToken: stop.Token))
        {
            passes.Add(result.Result.Rows);
            if (passes.Count == 2)
            {
                await stop.CancelAsync();
            }
        }

        Assert.Equal([2L, 1L], passes);
        Assert.Equal(2, calls);
    }
}
