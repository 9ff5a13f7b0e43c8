namespace Medallion.PgWire.Tests;

/// <summary>The endpoint as psql sees it: password login, queries, and its backslash commands over the emulated catalog.</summary>
[Collection(PgWireCollection.Name)]
public sealed class PsqlTests(PgWireFixture fixture)
{
    [Fact]
    public async Task Psql_logs_in_with_a_password_and_runs_a_query()
    {
        (int exitCode, string output, string error) = await Psql.RunAsync(fixture, "-A", "-t", "-c", "SELECT region, revenue FROM gold.daily_revenue WHERE day = DATE '2026-01-02'");
        Assert.True(exitCode == 0, error);
        Assert.Equal("north|2000.00", output.Trim());
    }

    [Fact]
    public async Task Psql_runs_several_statements_and_session_commands_in_one_command()
    {
        (int exitCode, string output, string error) = await Psql.RunAsync(fixture, "-A", "-t", "-c", "SET search_path TO gold; SELECT count(*) FROM daily_revenue; SHOW search_path; -- done");
        Assert.True(exitCode == 0, error);
        Assert.Equal("SET\n3\ngold", output.Trim());
    }

    [Fact]
    public async Task Psql_reports_an_error_with_its_sqlstate()
    {
        (int exitCode, _, string error) = await Psql.RunAsync(fixture, "-v", "VERBOSITY=verbose", "-c", "SELECT * FROM gold.no_such_table");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("ERROR:  42P01:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backslash_dn_lists_the_lakehouse_namespaces()
    {
        (int exitCode, string output, string error) = await Psql.RunAsync(fixture, "-c", "\\dn");
        Assert.True(exitCode == 0, error);
        Assert.Contains("gold", output, StringComparison.Ordinal);
        Assert.Contains("silver", output, StringComparison.Ordinal);
        Assert.DoesNotContain("pg_catalog", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backslash_dt_lists_the_tables_of_a_schema()
    {
        (int exitCode, string output, string error) = await Psql.RunAsync(fixture, "-c", "\\dt gold.*");
        Assert.True(exitCode == 0, error);
        Assert.Contains("daily_revenue", output, StringComparison.Ordinal);
        Assert.Contains("table", output, StringComparison.Ordinal);
        Assert.DoesNotContain("orders", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backslash_d_describes_a_table_with_its_columns_and_types()
    {
        (int exitCode, string output, string error) = await Psql.RunAsync(fixture, "-c", "\\d gold.daily_revenue");
        Assert.True(exitCode == 0, error);
        Assert.Contains("Table \"gold.daily_revenue\"", output, StringComparison.Ordinal);
        Assert.Matches(@"day\s+\|\s+date\s+\|\s+\|\s+not null", output);
        Assert.Matches(@"region\s+\|\s+(text|character varying)", output);
        Assert.Matches(@"revenue\s+\|\s+numeric\(18,2\)", output);
        Assert.Matches(@"orders\s+\|\s+bigint", output);
    }
}
