using System.Net;
using System.Text.Json;
using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Medallion.Platform.Access;

namespace Medallion.Server.Tests.Governance;

/// <summary>
/// Data escapes around the SQL path no more than through it: quality samples, run errors and log lines, row counts,
/// lineage and project paths answer each user with what their SQL would show (issue #35).
/// </summary>
public sealed class DataAroundSqlTests : IAsyncLifetime
{
    private ServedProject _served = null!;
    private RunResult _broken = null!;

    public async Task InitializeAsync()
    {
        _served = await ServedProject.StartAsync(later: files => files
            .Write("models/silver/broken.sql", "SELECT CAST(email AS INTEGER) AS n FROM silver.orders\n")
            .Write("models/silver/held.sql", """
                /* ---
                expectations:
                  - accepted_values: {column: email, values: [a@x.com]}
                    severity: quarantine
                --- */
                SELECT order_id, email, amount FROM silver.orders
                """));
        MedallionProject project = await MedallionProject.LoadAsync(_served.Directory);
        _broken = await ProjectRunner.RunAsync(project, new RunOptions { Select = "silver.broken" });
        Assert.False(_broken.Succeeded);
        RunResult held = await ProjectRunner.RunAsync(project, new RunOptions { Select = "silver.held" });
        Assert.True(held.Succeeded, string.Join("; ", held.Steps.Select(s => s.Error)));

        await _served.Catalog.Identity.SetUserAsync("nora", PgUserStore.CreateScramVerifier("nora-secret"));
        await _served.Catalog.Identity.SetUserAsync("mia", PgUserStore.CreateScramVerifier("mia-secret"));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Namespace, "silver", [], GranteeKind.User, "mia"));
        await _served.Catalog.Identity.SetUserAsync("flo", PgUserStore.CreateScramVerifier("flo-secret"));
        await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.orders", [], GranteeKind.User, "flo"));
        await _served.Catalog.Access.SetRowFilterAsync(new RowFilter("silver.orders", GranteeKind.User, "flo", "order_id = 1"));
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Fact]
    public async Task A_run_shows_a_user_without_grants_no_sample_of_its_tables()
    {
        string body = await GetAsync($"/api/runs/{_served.FirstRun.RunId}", "nora", HttpStatusCode.OK);

        Assert.DoesNotContain("b@x.com", body, StringComparison.OrdinalIgnoreCase);
        using JsonDocument run = JsonDocument.Parse(body);
        Assert.Empty(run.RootElement.GetProperty("quality").EnumerateArray());
    }

    [Fact]
    public async Task A_sample_shows_a_masked_column_masked_as_the_users_sql_does()
    {
        string body = await GetAsync("/api/tables/silver.orders/quality", "mia", HttpStatusCode.OK);

        Assert.DoesNotContain("b@x.com", body, StringComparison.OrdinalIgnoreCase);
        using JsonDocument quality = JsonDocument.Parse(body);
        JsonElement broken = quality.RootElement.GetProperty("latest").EnumerateArray().Single(r => r.GetProperty("rule").GetString()!.StartsWith("accepted_values", StringComparison.Ordinal));
        using JsonDocument sample = JsonDocument.Parse(broken.GetProperty("sample_rows_json").GetString()!);
        JsonElement row = Assert.Single(sample.RootElement.EnumerateArray());
        Assert.Equal(2, row.GetProperty("order_id").GetInt64());
        Assert.Matches("^[0-9a-f]{64}$", row.GetProperty("email").GetString());
    }

    [Fact]
    public async Task A_sample_leaves_out_rows_outside_the_users_row_filter()
    {
        string body = await GetAsync("/api/tables/silver.orders", "flo", HttpStatusCode.OK);

        Assert.DoesNotContain("b@x.com", body, StringComparison.OrdinalIgnoreCase);
        using JsonDocument table = JsonDocument.Parse(body);
        JsonElement broken = table.RootElement.GetProperty("quality").EnumerateArray().Single(r => r.GetProperty("rule").GetString()!.StartsWith("accepted_values", StringComparison.Ordinal));
        Assert.Equal("[]", broken.GetProperty("sample_rows_json").GetString());
    }

    [Fact]
    public async Task An_admin_sees_the_sample_as_it_was_taken()
    {
        string body = await GetAsync("/api/tables/silver.orders/quality", "vic", HttpStatusCode.OK, ServedProject.ViewerPassword);

        Assert.Contains("b@x.com", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_a_tables_quality_samples_over_rest_is_audited_as_the_readers_statement()
    {
        await GetAsync("/api/tables/silver.orders/quality", "mia", HttpStatusCode.OK);

        Assert.Equal("1", await _served.WaitForSqlAsync(
            "SELECT count(*) FROM medallion_audit.events WHERE kind = 'statement' AND \"user\" = 'mia' AND channel = 'api' AND statement LIKE 'quality samples of silver.orders (GET /api/tables/silver.orders/quality)%'", "1"));
    }

    [Fact]
    public async Task A_row_filtered_user_is_not_told_the_tables_full_row_count()
    {
        using JsonDocument tables = JsonDocument.Parse(await GetAsync("/api/tables", "flo", HttpStatusCode.OK));

        JsonElement orders = Assert.Single(tables.RootElement.EnumerateArray());
        Assert.Equal(JsonValueKind.Null, orders.GetProperty("rows").ValueKind);
    }

    [Fact]
    public async Task A_model_error_quoting_a_value_is_withheld_from_a_user_who_reads_the_table_masked()
    {
        string run = await GetAsync($"/api/runs/{_broken.RunId}", "mia", HttpStatusCode.OK);
        string logs = await GetAsync($"/api/runs/{_broken.RunId}/logs", "mia", HttpStatusCode.OK);

        Assert.DoesNotContain("@x.com", run, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@x.com", logs, StringComparison.OrdinalIgnoreCase);
        using JsonDocument details = JsonDocument.Parse(run);
        string error = details.RootElement.GetProperty("models").EnumerateArray().Single().GetProperty("error").GetString()!;
        Assert.EndsWith(ReaderView.WithheldMessage, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_error_quoting_a_value_is_shown_to_an_admin()
    {
        string run = await GetAsync($"/api/runs/{_broken.RunId}", "vic", HttpStatusCode.OK, ServedProject.ViewerPassword);

        Assert.Contains("@x.com", run, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_quarantine_table_inherits_the_classification_its_model_copied_from_upstream()
    {
        using JsonDocument held = JsonDocument.Parse(await GetAsync("/api/tables/silver.held_quarantine", "vic", HttpStatusCode.OK, ServedProject.ViewerPassword));

        JsonElement email = held.RootElement.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "email");
        Assert.Equal("pii", email.GetProperty("classification").GetString());
    }

    [Fact]
    public async Task A_quarantine_table_is_masked_like_its_model()
    {
        IReadOnlyList<Engine.Sessions.LakehouseTable> tables = await SqlEndpoint.ProjectTables(await MedallionProject.LoadAsync(_served.Directory), _served.Catalog).ListAsync();
        Engine.Sessions.SessionAccess access = (await new CatalogSessionAccess(_served.Catalog).ForUserAsync("mia", tables))!;

        Assert.Contains("email", access.Find("silver.held_quarantine")!.Masks.Keys);
        Assert.Contains("email", access.Find("silver.held")!.Masks.Keys);
    }

    [Fact]
    public async Task Column_lineage_leaves_out_tables_the_user_may_not_read()
    {
        await GetAsync("/api/tables/bronze.orders/lineage?column=email", "mia", HttpStatusCode.NotFound);
        string body = await GetAsync("/api/tables/silver.orders/lineage?column=email", "mia", HttpStatusCode.OK);

        Assert.DoesNotContain("bronze", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_project_shows_a_viewer_no_path_on_the_servers_machine()
    {
        string body = await GetAsync("/api/project", "vic", HttpStatusCode.OK, ServedProject.ViewerPassword);

        Assert.DoesNotContain(_served.Directory, body, StringComparison.Ordinal);
    }

    private async Task<string> GetAsync(string path, string user, HttpStatusCode expected, string? password = null)
    {
        using HttpResponseMessage response = await _served.GetAsync(path, ServedProject.Basic(user, password ?? user + "-secret"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{path} as {user}: {(int)response.StatusCode} {body}");
        return body;
    }
}
