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
}
