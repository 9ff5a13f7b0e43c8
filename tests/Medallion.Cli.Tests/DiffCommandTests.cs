using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion diff</c> between versions of a project's table.</summary>
public sealed class DiffCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-diff-project-" + Guid.NewGuid().ToString("N"));

    public DiffCommandTests()
    {
        Directory.CreateDirectory(_project);
        File.WriteAllText(Path.Combine(_project, "medallion.yml"), "name: shop\n");
        Directory.CreateDirectory(Path.Combine(_project, "sources"));
        File.WriteAllText(Path.Combine(_project, "sources", "files.yml"), "sources:\n  - name: orders\n    format: csv\n    path: data/*.csv\n    target: bronze.orders\n");
    }

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private string Table => Path.Combine(_project, "warehouse", "bronze", "orders");

    private async Task WriteAsync(string select, params string[] options) =>
        Assert.Equal(0, (await Cli.RunAsync(["delta", "write", Table, "--from", select, .. options])).ExitCode);

    private async Task<JsonElement> DiffAsync(params string[] options)
    {
        Cli.Result result = await Cli.RunAsync(["diff", "bronze.orders", "--format", "json", "--project", _project, .. options]);
        Assert.True(result.ExitCode == 0, result.Error);
        return JsonDocument.Parse(result.Output).RootElement.Clone();
    }

    [Fact]
    public async Task A_keyed_diff_counts_rows_only_on_each_side_and_names_the_columns_that_changed()
    {
        await WriteAsync("SELECT * FROM (VALUES (1, 10, 'new'), (2, 20, 'new'), (3, 30, 'new')) t(id, amount, status)");
        await WriteAsync("SELECT * FROM (VALUES (2, 25, 'new'), (3, 30, 'paid'), (4, 40, 'new')) t(id, amount, status)", "--mode", "overwrite");

        JsonElement diff = await DiffAsync("--key", "id");

        Assert.Equal((3L, 3L, 1L, 1L, 2L), (diff.GetProperty("left_rows").GetInt64(), diff.GetProperty("right_rows").GetInt64(), diff.GetProperty("only_left").GetInt64(), diff.GetProperty("only_right").GetInt64(), diff.GetProperty("changed").GetInt64()));
        Assert.Equal([("id", -1L), ("amount", 1L), ("status", 1L)],
            diff.GetProperty("columns").EnumerateArray().Select(c => (c.GetProperty("name").GetString()!, c.GetProperty("changed_rows").ValueKind == JsonValueKind.Null ? -1L : c.GetProperty("changed_rows").GetInt64())));
        Assert.Equal(
            ["only left {\"id\":\"4\",\"amount\":\"40\",\"status\":\"new\"}", "only right {\"id\":\"1\",\"amount\":\"10\",\"status\":\"new\"}", "changed {\"id\":\"2\",\"amount\":\"20\\u219225\"}", "changed {\"id\":\"3\",\"status\":\"new\\u2192paid\"}"],
            diff.GetProperty("samples").EnumerateArray().Select(s => $"{s.GetProperty("kind").GetString()} {s.GetProperty("values").GetRawText().Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal)}"));
    }

    [Fact]
    public async Task Without_a_key_rows_are_compared_whole_and_duplicates_count()
    {
        await WriteAsync("SELECT * FROM (VALUES (1, 10), (1, 10)) t(id, amount)");
        await WriteAsync("SELECT * FROM (VALUES (1, 10), (1, 10), (1, 10), (2, 20)) t(id, amount)");

        JsonElement diff = await DiffAsync();

        Assert.Equal((6L, 2L, 4L, 0L), (diff.GetProperty("left_rows").GetInt64(), diff.GetProperty("right_rows").GetInt64(), diff.GetProperty("only_left").GetInt64(), diff.GetProperty("only_right").GetInt64()));
        Assert.Equal(JsonValueKind.Null, diff.GetProperty("changed").ValueKind);
    }

    [Fact]
    public async Task An_older_version_can_be_compared_with_any_other()
    {
        await WriteAsync("SELECT 1 AS id");
        await WriteAsync("SELECT 2 AS id");
        await WriteAsync("SELECT 3 AS id");

        JsonElement diff = await DiffAsync("--version", "0", "--against-version", "0");

        Assert.True(diff.GetProperty("same").GetBoolean());
        Assert.Equal(("version 0", "version 0"), (diff.GetProperty("left").GetString(), diff.GetProperty("right").GetString()));
    }

    [Fact]
    public async Task A_column_added_shows_on_one_side_with_its_statistics()
    {
        await WriteAsync("SELECT * FROM (VALUES (1), (2)) t(id)");
        await WriteAsync("SELECT * FROM (VALUES (3, NULL), (4, 'x')) t(id, note)", "--merge-schema");

        JsonElement note = (await DiffAsync("--key", "id")).GetProperty("columns")[1];

        Assert.Equal(("note", JsonValueKind.Null, "VARCHAR"), (note.GetProperty("name").GetString(), note.GetProperty("right_type").ValueKind, note.GetProperty("left_type").GetString()));
        Assert.Equal((3L, "x"), (note.GetProperty("left_stats").GetProperty("nulls").GetInt64(), note.GetProperty("left_stats").GetProperty("max").GetString()));
    }

    [Fact]
    public async Task Beyond_a_million_rows_a_sides_distinct_values_are_estimated_in_a_sample_the_report_names()
    {
        await WriteAsync("SELECT i AS id FROM range(10) t(i)");
        await WriteAsync("SELECT i AS id FROM range(3000000) t(i)", "--mode", "overwrite");

        JsonElement id = (await DiffAsync()).GetProperty("columns")[0];

        long sampled = id.GetProperty("left_stats").GetProperty("distinct_sample_rows").GetInt64();
        Assert.InRange(sampled, 500_000, 1_500_000);
        Assert.InRange(id.GetProperty("left_stats").GetProperty("distinct").GetInt64(), sampled * 9 / 10, sampled * 11 / 10);
        Assert.Equal((3_000_000L, "2999999"), (3_000_000L - id.GetProperty("left_stats").GetProperty("nulls").GetInt64(), id.GetProperty("left_stats").GetProperty("max").GetString()));
        Assert.Equal(JsonValueKind.Null, id.GetProperty("right_stats").GetProperty("distinct_sample_rows").ValueKind);
    }

    [Fact]
    public async Task A_key_that_does_not_identify_a_row_is_refused_naming_the_repeated_value()
    {
        await WriteAsync("SELECT * FROM (VALUES (1, 'a'), (1, 'b')) t(id, v)");
        await WriteAsync("SELECT 2 AS id, 'c' AS v");

        Cli.Result result = await Cli.RunAsync("diff", "bronze.orders", "--key", "id", "--project", _project);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("The key (id) does not identify a row of bronze.orders on the newest version: (1) is on 2 rows.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_repeated_on_one_side_where_the_other_has_it_once_is_refused_though_the_rows_are_alike()
    {
        await WriteAsync("SELECT * FROM (VALUES (1, 'a'), (2, 'z'), (5, 'w'), (6, 'v')) t(id, v)");
        await WriteAsync("SELECT * FROM (VALUES (1, 'a'), (1, 'a'), (3, 'x'), (4, 'y')) t(id, v)", "--mode", "overwrite");

        Cli.Result result = await Cli.RunAsync("diff", "bronze.orders", "--key", "id", "--project", _project);

        Assert.Contains("The key (id) does not identify a row of bronze.orders on the newest version: (1) is on 2 rows.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_repeated_only_among_rows_the_other_side_lacks_is_refused()
    {
        await WriteAsync("SELECT * FROM (VALUES (1, 'a'), (5, 'x'), (5, 'y')) t(id, v)");
        await WriteAsync("SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) t(id, v)", "--mode", "overwrite");

        Cli.Result result = await Cli.RunAsync("diff", "bronze.orders", "--key", "id", "--project", _project);

        Assert.Contains("The key (id) does not identify a row of bronze.orders on version 0: (5) is on 2 rows.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_who_reads_a_column_masked_is_refused_a_diff_which_would_show_its_values()
    {
        await WriteAsync("SELECT 1 AS id, 'ana@example.com' AS email");
        await WriteAsync("SELECT 2 AS id, 'bia@example.com' AS email", "--mode", "overwrite");
        await Cli.RunWithInputAsync("pw\n", "user", "add", "ana", "--project", _project);
        await Cli.RunAsync("grant", "select", "on", "bronze", "to", "ana", "--project", _project);
        await using (var catalog = await Medallion.Catalog.CatalogStore.OpenAsync(Path.Combine(_project, ".medallion", "catalog.db")))
        {
            var name = new Medallion.Catalog.TableName("bronze", "orders");
            await catalog.Tables.UpsertTableAsync(new Medallion.Catalog.CatalogTable(name, Table));
            await catalog.Tables.SetColumnsAsync(name, [new("id", "INTEGER"), new("email", "VARCHAR", Classification: "pii")]);
        }

        Cli.Result masked = await Cli.RunAsync("diff", "bronze.orders", "--key", "id", "--user", "ana", "--project", _project);
        Cli.Result owner = await Cli.RunAsync("diff", "bronze.orders", "--key", "id", "--project", _project);

        Assert.NotEqual(0, masked.ExitCode);
        Assert.Contains("A diff of bronze.orders shows its rows, and you do not read it in full", masked.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("example.com", masked.Output + masked.Error, StringComparison.Ordinal);
        Assert.Contains("bia@example.com", owner.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_column_one_side_lacks_is_refused_naming_the_columns_it_has()
    {
        await WriteAsync("SELECT 1 AS id");
        await WriteAsync("SELECT 2 AS id");

        Cli.Result result = await Cli.RunAsync("diff", "bronze.orders", "--key", "order_id", "--project", _project);

        Assert.Contains("The key column 'order_id' is not in bronze.orders on the newest version. Columns: id.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_changed_in_dev_is_compared_with_prods_table_by_key()
    {
        await WriteAsync("SELECT * FROM (VALUES (1, 10), (2, 20)) t(id, amount)");
        Directory.CreateDirectory(Path.Combine(_project, "models", "silver"));
        string model = Path.Combine(_project, "models", "silver", "orders.sql");
        File.WriteAllText(model, "SELECT id, amount FROM bronze.orders");
        Assert.Equal(0, (await Cli.RunAsync("run", "--project", _project)).ExitCode);
        File.WriteAllText(model, "SELECT id, CASE WHEN id = 2 THEN amount * 2 ELSE amount END AS amount FROM bronze.orders");
        Assert.Equal(0, (await Cli.RunAsync("apply", "--env", "dev", "--project", _project)).ExitCode);

        Cli.Result result = await Cli.RunAsync("diff", "silver.orders", "--env", "dev", "--key", "id", "--format", "json", "--project", _project);

        JsonElement diff = JsonDocument.Parse(result.Output).RootElement;
        Assert.Equal(("dev", "prod", 1L), (diff.GetProperty("left").GetString(), diff.GetProperty("right").GetString(), diff.GetProperty("changed").GetInt64()));
        Assert.Equal("20 \u2192 40", diff.GetProperty("samples")[0].GetProperty("values").GetProperty("amount").GetString());
    }
}
