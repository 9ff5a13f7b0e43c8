using System.Globalization;
using System.Text;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests;

namespace Medallion.Platform.Tests.Privacy;

/// <summary>
/// A project holding one person (CPF 390.533.447-05) in bronze, silver, a quarantine table and gold, over several
/// versions: two accounts (one written with punctuation, one without), a profile update in a later file, and a rejected
/// e-mail that sends one account to quarantine. Built by the real runner; each test gets its own copy.
/// </summary>
public sealed class PeopleProject : IDisposable
{
    public const string Cpf = "390.533.447-05";
    public const string CpfDigits = "39053344705";
    public const string OldEmail = "maria.souza@example.com";
    public const string NewEmail = "maria.s@example.org";

    private readonly TestProject _files;

    public PeopleProject(string settings = "name: people\nstorage: lake\n", string? goldConfig = null)
    {
        _files = new TestProject(settings)
            .Write("sources/crm.yml", """
                sources:
                  - name: customers
                    format: csv
                    path: data/customers/*.csv
                    target: bronze.customers
                """)
            .Write("models/silver/customers.sql", """
                /* ---
                description: One row per account.
                materialized: merge
                unique_key: customer_id
                columns:
                  name:
                    description: Full name.
                    classification: pii
                  cpf:
                    description: CPF, 11 digits.
                    classification: pii
                  email:
                    description: E-mail, lower-cased.
                    classification: pii
                expectations:
                  - expression: email LIKE '%@%'
                    name: email_has_at
                    severity: quarantine
                --- */
                SELECT
                    CAST(customer_id AS BIGINT) AS customer_id,
                    trim(name) AS name,
                    lpad(regexp_replace(cpf, '[^0-9]', '', 'g'), 11, '0') AS cpf,
                    lower(trim(email)) AS email,
                    CAST(created_at AS TIMESTAMP) AS created_at
                FROM bronze.customers
                QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY _source_file DESC) = 1
                """)
            .Write("models/gold/people.sql", (goldConfig ?? """
                /* ---
                description: One row per person.
                erasure: anonymize
                columns:
                  cpf:
                    classification: pii
                  name:
                    classification: pii
                --- */
                """) + "\n" + """
                SELECT cpf, max(name) AS name, count(*) AS accounts FROM silver.customers GROUP BY cpf
                """)
            .Write("data/customers/1.csv", Customers(1, 300, [$"1,Maria Souza,{Cpf},{OldEmail},2020-01-05"]));
    }

    public string Directory => _files.Directory;

    public string Warehouse => Path.Combine(Directory, "lake");

    /// <summary>Runs the project, then lands a second file (the person's profile update and second account) and runs it again.</summary>
    public async Task BuildAsync()
    {
        await RunAsync();
        _files.Write("data/customers/2.csv", Customers(301, 50, [$"1,Maria Souza,{Cpf},{NewEmail},2020-01-05", $"7,Maria S.,{CpfDigits},sem-email,2024-06-01"]));
        await RunAsync();
    }

    public async Task RunAsync()
    {
        RunResult result = await ProjectRunner.RunAsync(await _files.LoadAsync(), new RunOptions());
        Assert.True(result.Succeeded, $"The run {result.RunId} failed: {string.Join("; ", result.Steps.Select(s => s.Error))}");
    }

    public TestProject Files => _files;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _files.Dispose();
    }

    /// <summary>A CSV of other people with valid CPFs (ids from <paramref name="firstId"/>), plus <paramref name="extra"/> lines.</summary>
    internal static string Customers(int firstId, int count, string[] extra)
    {
        var csv = new StringBuilder("customer_id,name,cpf,email,created_at\n");
        var random = new Random(firstId);
        for (int i = 0; i < count; i++)
        {
            int id = firstId + i + 10;
            csv.Append(CultureInfo.InvariantCulture, $"{id},Pessoa {id},{ValidCpf(random)},p{id}@example.com,20{random.Next(10, 25)}-0{random.Next(1, 9)}-1{random.Next(0, 9)}\n");
        }

        foreach (string line in extra)
        {
            csv.Append(line).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>A random CPF with its check digits computed (the rule of the Receita Federal), punctuated.</summary>
    internal static string ValidCpf(Random random)
    {
        int[] d = new int[11];
        do
        {
            for (int i = 0; i < 9; i++)
            {
                d[i] = random.Next(10);
            }

            d[9] = Enumerable.Range(0, 9).Sum(i => d[i] * (10 - i)) * 10 % 11 % 10;
            d[10] = Enumerable.Range(0, 10).Sum(i => d[i] * (11 - i)) * 10 % 11 % 10;
        }
        while (d.All(x => x == d[0]) || string.Concat(d) == CpfDigits);

        string s = string.Concat(d);
        return $"{s[..3]}.{s[3..6]}.{s[6..9]}-{s[9..]}";
    }
}
