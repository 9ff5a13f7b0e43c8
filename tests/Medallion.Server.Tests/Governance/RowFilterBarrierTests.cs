using Medallion.Catalog;
using Medallion.PgWire;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;
using Npgsql;

namespace Medallion.Server.Tests.Governance;

/// <summary>
/// A row filter is a barrier (as PostgreSQL's security_barrier views are): a user's own expressions never see a value of a
/// row the filter hides, so an error one raises (a failed cast, <c>error()</c>) quotes only what the user may read.
/// DuckDB pushes the user's predicates down beside the filter and orders them as it likes; without the barrier a self-join
/// cast <c>'secret-3'</c> of a hidden row into its error.
/// </summary>
public sealed class RowFilterBarrierTests : IAsyncLifetime
{
    private const string Password = "flo-secret";

    /// <summary>Rows of silver.people every filter below shows: ids 0..4999 but those with id % 7 = 3 (uf 'RJ').</summary>
    private const long VisibleRows = 4286;

    private ServedProject _served = null!;

    public async Task InitializeAsync()
    {
        // A hidden row's secret is text that no cast to a number survives; a visible row's is its id.
        _served = await ServedProject.StartAsync(later: files => files.Write("models/silver/people.sql",
            "SELECT i AS id, CASE WHEN i % 7 = 3 THEN 'RJ' ELSE 'SP' END AS uf, CASE WHEN i % 7 = 3 THEN 'secret-' || i ELSE CAST(i AS VARCHAR) END AS secret FROM range(5000) AS t(i)\n"));
        RunResult people = await ProjectRunner.RunAsync(await MedallionProject.LoadAsync(_served.Directory), new RunOptions { Select = "silver.people" });
        Assert.True(people.Succeeded, string.Join("; ", people.Steps.Select(s => s.Error)));
        // An expression DuckDB evaluates beside the user's predicates, and a comparison it pushes into the Parquet scan.
        foreach ((string user, string filter) in new[] { ("flo", "id % 7 <> 3"), ("uma", "uf = 'SP'") })
        {
            await _served.Catalog.Identity.SetUserAsync(user, PgUserStore.CreateScramVerifier(Password));
            await _served.Catalog.Access.GrantAsync(new AccessGrant(AccessPrivilege.Select, AccessObjectKind.Table, "silver.people", [], GranteeKind.User, user), ["silver.people"]);
            await _served.Catalog.Access.SetRowFilterAsync(new RowFilter("silver.people", GranteeKind.User, user, filter));
        }
    }

    public async Task DisposeAsync() => await _served.DisposeAsync();

    [Theory]
    [InlineData("flo", "SELECT count(*) FROM silver.people AS p JOIN silver.people AS q USING (id) WHERE CAST(q.secret AS INTEGER) >= 0")]
    [InlineData("flo", "SELECT count(*) FROM silver.people AS p, silver.people AS q WHERE p.id = q.id AND CAST(p.secret AS INTEGER) >= 0")]
    [InlineData("flo", "SELECT count(*) FROM silver.people WHERE CAST(secret AS INTEGER) >= 0")]
    [InlineData("flo", "SELECT count(*) FROM silver.people WHERE CASE WHEN uf <> 'SP' THEN error('hidden ' || secret) END IS NULL")]
    [InlineData("flo", "SELECT count(*) FROM silver.people WHERE 1 / (CASE WHEN uf = 'RJ' THEN 0 ELSE 1 END) = 1")]
    [InlineData("flo", "SELECT count(*) FROM silver.people WHERE id IN (SELECT id FROM silver.people WHERE CAST(secret AS INTEGER) >= 0)")]
    [InlineData("flo", "SELECT count(*) FROM (SELECT CAST(secret AS INTEGER) AS n FROM silver.people) WHERE n >= 0")]
    [InlineData("uma", "SELECT count(*) FROM silver.people AS p JOIN silver.people AS q USING (id) WHERE CAST(q.secret AS INTEGER) >= 0")]
    [InlineData("uma", "SELECT count(*) FROM silver.people WHERE CASE WHEN uf <> 'SP' THEN error('hidden ' || secret) END IS NULL")]
    public async Task A_predicate_that_fails_only_on_hidden_rows_never_fails(string user, string sql)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_served.Server.PgPort};Username={user};Password={Password};Database=shop;Pooling=false;Timeout=60;Command Timeout=120");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);

        object? count;
        try
        {
            count = await command.ExecuteScalarAsync();
        }
        catch (PostgresException error)
        {
            Assert.Fail($"{user}'s own predicate ran on a hidden row: {error.SqlState} {error.MessageText}");
            throw;
        }

        Assert.Equal(VisibleRows, count);
    }

    [Fact]
    public async Task A_time_travel_read_is_behind_the_same_barrier()
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_served.Server.PgPort};Username=flo;Password={Password};Database=shop;Pooling=false;Timeout=60;Command Timeout=120");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM silver.people AS p AT (VERSION => 0) JOIN silver.people AS q AT (VERSION => 0) USING (id) WHERE CAST(q.secret AS INTEGER) >= 0", connection);

        Assert.Equal(VisibleRows, await command.ExecuteScalarAsync());
    }
}
