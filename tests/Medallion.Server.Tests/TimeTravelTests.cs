using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Npgsql;

namespace Medallion.Server.Tests;

/// <summary>
/// Time travel on the server's SQL endpoint (issue #35, item 7): a version the table does not have is the client's
/// mistake (22023) named in the table's terms, never an internal error (XX000) or a path of the lake.
/// </summary>
public sealed class TimeTravelTests : IAsyncLifetime
{
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync();

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Theory]
    [InlineData("-1")]
    [InlineData("1")]
    [InlineData("9223372036854775807")]
    public async Task A_version_the_table_does_not_have_is_a_22023_naming_the_table_and_its_newest_version(string version)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_served.Server.PgPort};Username=vic;Password={ServedProject.ViewerPassword};Database=shop;Pooling=false;Timeout=60");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT * FROM gold.revenue AT (VERSION => {version})", connection);

        PostgresException error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());

        Assert.Equal("22023", error.SqlState);
        Assert.Equal($"Table gold.revenue has no version {version}: versions are whole numbers from 0 (its first commit), and its newest is 0.", error.MessageText);
        Assert.Equal("list its versions with medallion history gold.revenue.", error.Hint);
        Assert.DoesNotContain(_served.Directory, error.Detail ?? string.Empty, StringComparison.Ordinal);
        Assert.DoesNotContain(_served.Directory, error.Hint ?? string.Empty, StringComparison.Ordinal);
        await using var next = new NpgsqlCommand("SELECT count(*) FROM gold.revenue AT (VERSION => 0)", connection);
        Assert.Equal(1L, await next.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("TIMESTAMP '2000-01-01 00:00:00'")]
    [InlineData("TIMESTAMPTZ '1999-12-31 21:00:00-03'")]
    [InlineData("now() - INTERVAL 100 YEAR")]
    public async Task A_timestamp_before_the_first_commit_is_a_22023_naming_the_table_and_the_time_its_history_starts(string timestamp)
    {
        PostgresException error = await FailAsync($"SELECT * FROM gold.revenue AT (TIMESTAMP => {timestamp})");

        Assert.Equal("22023", error.SqlState);
        Assert.Matches(@"^Table gold\.revenue has no version at \d{4}-\d\d-\d\d [0-9:.]+Z: its first commit \(version 0\) is at \d{4}-\d\d-\d\d [0-9:.]+Z, and its newest \(version 0\) at \d{4}-\d\d-\d\d [0-9:.]+Z\.$", error.MessageText);
        Assert.Equal("list its versions and their times with medallion history gold.revenue.", error.Hint);
        AssertNoPath(error);
    }

    [Fact]
    public async Task A_timestamp_before_the_versions_a_cleaned_log_still_holds_names_the_earliest_and_never_the_path()
    {
        RunResult again = await ProjectRunner.RunAsync(await MedallionProject.LoadAsync(_served.Directory), new RunOptions { Select = "gold.revenue" });
        Assert.True(again.Succeeded, string.Join("; ", again.Steps.Select(s => s.Error)));
        string table = Path.Combine(_served.Directory, "lake", "gold", "revenue");
        // Version 0's commit is past the log retention (30 days), so a checkpoint cleans it up, as Delta's log cleanup does.
        File.SetLastWriteTimeUtc(Path.Combine(table, "_delta_log", "00000000000000000000.json"), DateTime.UtcNow.AddDays(-60));
        using (var connection = new DuckDbConnection())
        {
            connection.Open();
            await new DeltaWriter(connection).CheckpointAsync(table);
        }

        Assert.False(File.Exists(Path.Combine(table, "_delta_log", "00000000000000000000.json")));

        PostgresException error = await FailAsync("SELECT * FROM gold.revenue AT (TIMESTAMP => TIMESTAMP '2000-01-01')");

        Assert.Equal("22023", error.SqlState);
        Assert.StartsWith("Table gold.revenue has no version at 2000-01-01 00:00:00Z: the earliest version its log still holds (version 1; older ones were cleaned up) is at ", error.MessageText, StringComparison.Ordinal);
        AssertNoPath(error);
    }

    [Theory]
    [InlineData("SELECT * FROM gold.revenue AT (TIMESTAMP => NULL)")]
    [InlineData("SELECT * FROM gold.revenue AT (TIMESTAMP => 'yesterday')")]
    [InlineData("SELECT * FROM gold.revenue AT (TIMESTAMP => CAST('not a time' AS TIMESTAMP))")]
    [InlineData("SELECT * FROM gold.revenue AT (TIMESTAMP => 42)")]
    [InlineData("SELECT * FROM gold.nope AT (TIMESTAMP => TIMESTAMP '2000-01-01')")]
    [InlineData("SELECT * FROM gold.nope AT (VERSION => 0)")]
    public async Task A_time_travel_clause_that_is_not_a_time_of_the_table_never_names_a_path(string sql)
    {
        PostgresException error = await FailAsync(sql);

        Assert.True(error.SqlState is "22023" or "22007" or "22008" or "22P02" or "42P01", $"{error.SqlState}: {error.MessageText}");
        AssertNoPath(error);
    }

    [Fact]
    public async Task A_timestamp_in_the_future_reads_the_newest_version()
    {
        await using NpgsqlConnection connection = await ConnectAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM gold.revenue AT (TIMESTAMP => now() + INTERVAL 100 YEAR)", connection);

        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    private void AssertNoPath(PostgresException error)
    {
        foreach (string? text in new[] { error.MessageText, error.Detail, error.Hint, error.Where })
        {
            Assert.DoesNotContain(_served.Directory, text ?? string.Empty, StringComparison.Ordinal);
            Assert.DoesNotContain("/lake/", text ?? string.Empty, StringComparison.Ordinal);
        }
    }

    private async Task<PostgresException> FailAsync(string sql)
    {
        await using NpgsqlConnection connection = await ConnectAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
    }

    private async Task<NpgsqlConnection> ConnectAsync()
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_served.Server.PgPort};Username=vic;Password={ServedProject.ViewerPassword};Database=shop;Pooling=false;Timeout=60");
        await connection.OpenAsync();
        return connection;
    }
}
