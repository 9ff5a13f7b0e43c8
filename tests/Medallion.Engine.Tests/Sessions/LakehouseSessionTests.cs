using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.Engine.Tests.Sessions;

/// <summary>
/// Sessions over a warehouse folder holding a copy of the conformance table dat-basic_append
/// (version 0: 3 rows, version 1: 5 rows) as <c>gold.basic_append</c>.
/// </summary>
public sealed class LakehouseSessionTests : IDisposable
{
    private readonly string _warehouse = Path.Combine(Path.GetTempPath(), "medallion-session-" + Guid.NewGuid().ToString("N"));
    private readonly string _table;

    public LakehouseSessionTests()
    {
        _table = Path.Combine(_warehouse, "gold", "basic_append");
        CopyDirectory(Path.Combine(ConformanceTables.Root, "dat-basic_append", "table"), _table);
    }

    public void Dispose() => Directory.Delete(_warehouse, recursive: true);

    [Fact]
    public async Task Tables_are_visible_as_namespace_dot_table_at_their_latest_version()
    {
        await using LakehouseSession session = await OpenAsync();

        Assert.Equal(5L, await ScalarAsync(session, "SELECT count(*) FROM gold.basic_append"));
    }

    [Fact]
    public async Task At_version_reads_the_table_as_it_was()
    {
        await using LakehouseSession session = await OpenAsync();

        Assert.Equal(3L, await ScalarAsync(session, "SELECT count(*) FROM gold.basic_append AT (VERSION => 0)"));
    }

    [Fact]
    public async Task One_query_can_read_two_versions_of_a_table()
    {
        await using LakehouseSession session = await OpenAsync();

        object? added = await ScalarAsync(session,
            "SELECT string_agg(letter, ',' ORDER BY letter) FROM (SELECT letter FROM gold.basic_append EXCEPT SELECT letter FROM gold.basic_append AS old AT (VERSION => 0))");

        Assert.Equal("d,e", added);
    }

    [Fact]
    public async Task At_timestamp_reads_the_version_current_at_that_time()
    {
        string log = Path.Combine(_table, "_delta_log");
        File.SetLastWriteTimeUtc(Path.Combine(log, "00000000000000000000.json"), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.SetLastWriteTimeUtc(Path.Combine(log, "00000000000000000001.json"), new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc));
        await using LakehouseSession session = await OpenAsync();

        Assert.Equal(3L, await ScalarAsync(session, "SELECT count(*) FROM gold.basic_append AT (TIMESTAMP => TIMESTAMP '2026-01-15 12:00:00')"));
    }

    [Fact]
    public async Task A_commit_made_after_the_session_opened_is_seen_by_the_next_query()
    {
        string log = Path.Combine(_table, "_delta_log");
        string later = Path.Combine(_warehouse, "version-1.json");
        File.Move(Path.Combine(log, "00000000000000000001.json"), later);
        await using LakehouseSession session = await OpenAsync();
        Assert.Equal(3L, await ScalarAsync(session, "SELECT count(*) FROM gold.basic_append"));

        File.Move(later, Path.Combine(log, "00000000000000000001.json"));

        Assert.Equal(5L, await ScalarAsync(session, "SELECT count(*) FROM gold.basic_append"));
    }

    [Fact]
    public async Task An_unknown_table_in_a_known_namespace_is_refused_with_close_names()
    {
        await using LakehouseSession session = await OpenAsync();

        var error = await Assert.ThrowsAsync<MedallionException>(() => ScalarAsync(session, "SELECT * FROM gold.basic_apend"));

        Assert.Equal(ErrorCode.EngineUnknownTable, error.Code);
        Assert.Equal("Table gold.basic_apend does not exist in the lakehouse. Did you mean gold.basic_append?", error.Message);
    }

    [Fact]
    public async Task A_quoted_name_that_is_a_path_does_not_reach_a_table_outside_the_lake()
    {
        string outside = Path.Combine(Path.GetTempPath(), "medallion-outside-" + Guid.NewGuid().ToString("N"));
        CopyDirectory(Path.Combine(ConformanceTables.Root, "dat-basic_append", "table"), outside);
        try
        {
            await using LakehouseSession session = await OpenAsync();

            // <lake>/../<outside> is that table's folder; the names are looked up as names, never joined as a path.
            var error = await Assert.ThrowsAsync<DuckDbException>(() => ScalarAsync(session, $"SELECT count(*) FROM \"..\".\"{Path.GetFileName(outside)}\""));

            Assert.Contains("..", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Theory]
    [InlineData("7")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public async Task A_version_the_table_does_not_have_is_refused_naming_the_table_and_its_versions_but_not_its_location(string version)
    {
        await using LakehouseSession session = await OpenAsync();

        var error = await Assert.ThrowsAsync<MedallionException>(() => ScalarAsync(session, $"SELECT count(*) FROM gold.basic_append AT (VERSION => {version})"));

        Assert.Equal(ErrorCode.EngineInvalidTimeTravel, error.Code);
        Assert.Equal(
            $"Table gold.basic_append has no version {version}: versions are whole numbers from 0 (its first commit), and its newest is 1. Help: list its versions with medallion history gold.basic_append.",
            error.Message);
    }

    [Fact]
    public async Task A_statement_that_would_change_data_is_refused_before_it_runs()
    {
        await using LakehouseSession session = await OpenAsync();

        var error = await Assert.ThrowsAsync<MedallionException>(() => ScalarAsync(session, "CREATE TABLE copy AS SELECT * FROM gold.basic_append"));

        Assert.Equal(ErrorCode.EngineReadOnly, error.Code);
        Assert.StartsWith("Statement 1 is a CREATE statement, and this session is read-only", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prepared_statement_that_would_change_data_is_refused_where_it_is_prepared()
    {
        await using LakehouseSession session = await OpenAsync();
        await ExecuteDirectlyAsync(session, "CREATE TEMP TABLE notes AS SELECT 1 AS id");

        var error = await Assert.ThrowsAsync<MedallionException>(() => ScalarAsync(session, "PREPARE wipe AS DELETE FROM notes; EXECUTE wipe"));

        Assert.Equal(ErrorCode.EngineReadOnly, error.Code);
        Assert.StartsWith("Statement 1 is a DELETE statement, and this session is read-only", error.Message, StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync(session, "SELECT count(*) FROM notes"));
    }

    [Fact]
    public async Task A_statement_ending_in_a_line_comment_does_not_swallow_the_next_one()
    {
        await using LakehouseSession session = await OpenAsync();

        object? value = await ScalarAsync(session, "SELECT count(*) FROM gold.basic_append -- every row\n; SET threads = 2");

        Assert.Equal(5L, value);
    }

    [Fact]
    public async Task A_prepared_query_runs_through_execute_in_a_session_that_accepts_session_statements()
    {
        await using LakehouseSession session = await OpenAsync();

        await ScalarAsync(session, "PREPARE counted AS SELECT count(*) + $1 FROM gold.basic_append");

        Assert.Equal(5L + 10, Convert.ToInt64(await ScalarAsync(session, "EXECUTE counted(10)"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Information_schema_lists_lakehouse_tables()
    {
        await using LakehouseSession session = await OpenAsync();

        Assert.Equal("gold.basic_append", await ScalarAsync(session,
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema = 'gold'"));
    }

    [Fact]
    public async Task Sessions_sharing_a_database_share_the_latest_views()
    {
        using DuckDbDatabase database = DuckDbDatabase.Open();
        var locator = new DirectoryTableLocator(_warehouse);
        await using LakehouseSession first = await LakehouseSession.OpenAsync(locator, database);
        await using LakehouseSession second = await LakehouseSession.OpenAsync(locator, database);

        Assert.Equal(5L, await ScalarAsync(first, "SELECT count(*) FROM gold.basic_append"));
        Assert.Equal(5L, await ScalarAsync(second, "SELECT count(*) FROM gold.basic_append"));
    }

    [Fact]
    public async Task A_lazy_session_reads_a_table_without_loading_the_others()
    {
        // A table whose log cannot be read: an eager session fails to open over it.
        string broken = Path.Combine(_warehouse, "silver", "broken", "_delta_log");
        Directory.CreateDirectory(broken);
        await File.WriteAllTextAsync(Path.Combine(broken, "00000000000000000000.json"), "{not json\n");
        await Assert.ThrowsAnyAsync<Exception>(OpenAsync);

        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(_warehouse), lazy: true);

        Assert.Equal(5L, await ScalarAsync(session, "SELECT count(*) FROM gold.basic_append"));
    }

    [Fact]
    public async Task A_lazy_session_loads_every_table_before_a_catalog_query()
    {
        await using LakehouseSession session = await LakehouseSession.OpenAsync(new DirectoryTableLocator(_warehouse), lazy: true);

        Assert.Equal("gold.basic_append", await ScalarAsync(session,
            "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema = 'gold'"));
    }

    [Fact]
    public async Task A_table_whose_first_commit_is_not_yet_in_place_is_not_listed()
    {
        // What a writer creating silver.arriving leaves between making the log folder and putting version 0.
        Directory.CreateDirectory(Path.Combine(_warehouse, "silver", "arriving", "_delta_log"));
        await File.WriteAllTextAsync(Path.Combine(_warehouse, "silver", "arriving", "_delta_log", ".00000000000000000000.json.tmp"), "{");

        await using LakehouseSession session = await OpenAsync();

        Assert.Equal(["gold.basic_append"], (await session.ListTablesAsync()).Select(t => t.QualifiedName));
        Assert.Equal(5L, await ScalarAsync(session, "SELECT count(*) FROM gold.basic_append"));
    }

    private Task<LakehouseSession> OpenAsync() => LakehouseSession.OpenAsync(new DirectoryTableLocator(_warehouse));

    private static async Task<object?> ScalarAsync(LakehouseSession session, string sql)
    {
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(sql);
        return reader.Read() ? reader.GetValue(0) : null;
    }

    private static async Task ExecuteDirectlyAsync(LakehouseSession session, string sql)
    {
        await using DuckDbCommand command = session.Connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }
}
