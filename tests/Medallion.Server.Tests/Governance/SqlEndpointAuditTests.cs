using Medallion.Pipelines;
using Medallion.Pipelines.Tests;
using Medallion.Platform.Audit;
using Npgsql;

namespace Medallion.Server.Tests.Governance;

/// <summary>What the SQL endpoint's clients run is in the audit, with who, from where, the outcome and its SQLSTATE.</summary>
public sealed class SqlEndpointAuditTests : IAsyncLifetime
{
    private readonly TestProject _project = new();

    private readonly List<ProjectEnvironment> _environments = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (ProjectEnvironment environment in _environments)
        {
            await environment.DisposeAsync();
        }

        _project.Dispose();
    }

    [Fact]
    public async Task Ten_thousand_statements_from_several_connections_are_all_in_the_audit_after_shutdown()
    {
        await using (SqlEndpoint endpoint = await StartAsync())
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async client =>
            {
                await using NpgsqlConnection connection = await ConnectAsync(endpoint, "user" + client);
                for (int i = 0; i < 2_500; i++)
                {
                    await using var command = new NpgsqlCommand($"SELECT {client * 10_000 + i} AS n", connection);
                    Assert.Equal(client * 10_000 + i, await command.ExecuteScalarAsync());
                }
            }));
        }

        await using SqlEndpoint reader = await StartAsync();
        Assert.Equal("10000|10000|4|10000", await ScalarAsync(reader,
            "SELECT concat_ws('|', count(*), count(DISTINCT statement), count(DISTINCT \"user\"), sum(\"rows\")) FROM medallion_audit.events WHERE channel = 'sql' AND outcome = 'ok' AND client LIKE '127.0.0.1:%' AND statement LIKE 'SELECT % AS n'"));
    }

    [Fact]
    public async Task A_failed_statement_is_in_the_audit_with_the_SQLSTATE_its_client_got()
    {
        await using (SqlEndpoint endpoint = await StartAsync())
        {
            await using NpgsqlConnection connection = await ConnectAsync(endpoint, "ana");
            PostgresException error = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                await using var command = new NpgsqlCommand("SELECT CAST('x' AS INTEGER)", connection);
                await command.ExecuteScalarAsync();
            });
            Assert.Equal("22P02", error.SqlState);
        }

        await using SqlEndpoint reader = await StartAsync();
        Assert.Equal("ana|error|22P02|SELECT CAST('x' AS INTEGER)", await ScalarAsync(reader,
            "SELECT concat_ws('|', \"user\", outcome, error_code, statement) FROM medallion_audit.events WHERE outcome <> 'ok'"));
    }

    [Fact]
    public async Task A_query_of_a_lakehouse_table_records_the_table_and_the_columns_it_read()
    {
        await using (SqlEndpoint endpoint = await StartAsync())
        {
            await using NpgsqlConnection connection = await ConnectAsync(endpoint, "ana");
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync();
        }

        await using (SqlEndpoint endpoint = await StartAsync())
        {
            await using NpgsqlConnection connection = await ConnectAsync(endpoint, "bia");
            // Only ana's events: bia's own connection may already have flushed events of hers, which would add a group.
            await using var command = new NpgsqlCommand("SELECT e.\"user\", count(*) FROM medallion_audit.events AS e WHERE e.\"user\" = 'ana' GROUP BY e.\"user\"", connection);
            await using NpgsqlDataReader rows = await command.ExecuteReaderAsync();
            Assert.True(await rows.ReadAsync());
        }

        await using SqlEndpoint reader = await StartAsync();
        Assert.Equal("medallion_audit.events|e.user|1", await ScalarAsync(reader,
            "SELECT concat_ws('|', tables[1], columns[1], \"rows\") FROM medallion_audit.events WHERE \"user\" = 'bia' AND statement LIKE '%GROUP BY%'"));
    }

    [Theory]
    [InlineData("DELETE FROM medallion_audit.events")]
    [InlineData("UPDATE medallion_audit.events SET \"user\" = 'nobody'")]
    [InlineData("INSERT INTO medallion_audit.events (kind) VALUES ('forged')")]
    [InlineData("DROP TABLE medallion_audit.events")]
    [InlineData("COPY medallion_audit.events TO '/tmp/audit.csv'")]
    public async Task The_audit_table_cannot_be_changed_through_the_SQL_endpoint(string sql)
    {
        await using (SqlEndpoint endpoint = await StartAsync())
        {
            await using NpgsqlConnection connection = await ConnectAsync(endpoint, "ana");
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync();
        }

        await using SqlEndpoint attacked = await StartAsync();
        // Npgsql runs a few statements of its own when it connects: they are audited too.
        object? before = await ScalarAsync(attacked, "SELECT count(*) FROM medallion_audit.events WHERE \"user\" = 'ana'");
        await using (NpgsqlConnection connection = await ConnectAsync(attacked, "mallory"))
        {
            PostgresException error = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync();
            });
            Assert.Equal("25006", error.SqlState);
        }

        Assert.True(before is > 0L, $"{before}");
        Assert.Equal(before, await ScalarAsync(attacked, "SELECT count(*) FROM medallion_audit.events WHERE \"user\" = 'ana'"));
    }

    private async Task<SqlEndpoint> StartAsync()
    {
        var environment = new ProjectEnvironment(await _project.LoadAsync());
        _environments.Add(environment);
        return await SqlEndpoint.StartAsync(environment, new SqlEndpointOptions { Port = 0, TrustLoopback = true });
    }

    private static async Task<NpgsqlConnection> ConnectAsync(SqlEndpoint endpoint, string user)
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={endpoint.Port};Username={user};Database=shop;Pooling=false;SSL Mode=Disable");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ScalarAsync(SqlEndpoint endpoint, string sql)
    {
        await using NpgsqlConnection connection = await ConnectAsync(endpoint, "auditor");
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }
}
