using System.Text.RegularExpressions;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion pii scan</c> and <c>medallion subject find|erase</c> on the quickstart's shop, whose customers carry
/// CPFs and e-mails: what each command prints, refuses and records. Each test that changes data takes a customer of
/// its own.
/// </summary>
public sealed class PrivacyCommandTests(QuickstartFixture quickstart) : IClassFixture<QuickstartFixture>
{
    [Fact]
    public async Task Pii_scan_finds_the_cpf_and_email_columns_of_the_customers()
    {
        Cli.Result scan = await Cli.RunAsync("pii", "scan", "bronze.customers", "--project", quickstart.Directory, "--format", "json");

        Assert.True(scan.ExitCode == 0, scan.Error);
        Assert.Contains("\"cpf\"", scan.Output, StringComparison.Ordinal);
        Assert.Contains("\"email\"", scan.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cpf_with_wrong_check_digits_is_refused_before_anything_is_searched()
    {
        Cli.Result find = await Cli.RunAsync("subject", "find", "--cpf", "390.533.447-06", "--project", quickstart.Directory);

        Assert.Equal(1, find.ExitCode);
        Assert.StartsWith("Error MDL6015: '390.533.447-06' is not a valid CPF (its check digits are wrong or it has the wrong length).", find.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_erasure_reports_the_rows_and_changes_nothing()
    {
        string cpf = await CustomerCpfAsync(0);

        Cli.Result dry = await Cli.RunAsync("subject", "erase", "--cpf", cpf, "--dry-run", "--project", quickstart.Directory);

        Assert.True(dry.ExitCode == 0, dry.Error);
        Assert.StartsWith("Dry run of erasure-", dry.Output, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed (dry run).", dry.Output, StringComparison.Ordinal);
        Assert.Equal(["1"], await QueryAsync($"SELECT count(*) FROM silver.customers WHERE cpf = '{cpf}'"));
    }

    [Fact]
    public async Task A_dry_run_erasure_of_a_customer_reaches_their_orders_and_their_lines_and_payments_in_bronze_and_silver()
    {
        // The account with the most orders (12).
        Cli.Result erase = await Cli.RunAsync("subject", "erase", "--email", "livia.martins14@uol.com.br", "--dry-run", "--project", quickstart.Directory);

        Assert.True(erase.ExitCode == 0, erase.Error + erase.Output);
        string[] reached = ["bronze.orders", "silver.order_events", "silver.orders", "bronze.order_items", "silver.order_items", "bronze.payments", "silver.payments"];
        Assert.All(reached, table => Assert.Matches($@"\n {Regex.Escape(table)} +│ delete +│ +[1-9]", erase.Output));
    }

    [Fact]
    public async Task An_erasure_removes_the_person_from_silver_and_records_the_act_in_the_audit_as_one_of_the_cli()
    {
        string cpf = await CustomerCpfAsync(1);

        Cli.Result erase = await Cli.RunAsync("subject", "erase", "--cpf", cpf, "--project", quickstart.Directory);

        Assert.True(erase.ExitCode == 0, erase.Error);
        Assert.Equal(["0"], await QueryAsync($"SELECT count(*) FROM silver.customers WHERE cpf = '{cpf}'"));
        string id = erase.Output[..erase.Output.IndexOf(' ', StringComparison.Ordinal)];
        Assert.Equal([$"cli,{id}"], await QueryAsync("SELECT channel, target FROM medallion_audit.events WHERE action = 'subject.erase'"));
    }

    /// <summary>The CPF of the n-th customer with a valid one, in the normal form silver keeps.</summary>
    private async Task<string> CustomerCpfAsync(int n) =>
        (await QueryAsync($"SELECT cpf FROM silver.customers WHERE cpf_is_valid ORDER BY customer_id LIMIT 1 OFFSET {n}"))[0];

    private async Task<List<string>> QueryAsync(string sql)
    {
        Cli.Result result = await Cli.RunAsync("sql", sql, "--format", "csv", "--project", quickstart.Directory);
        Assert.True(result.ExitCode == 0, result.Error);
        return [.. result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)];
    }
}
