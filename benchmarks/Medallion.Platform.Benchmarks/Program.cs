using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Pipelines;
using Medallion.Pipelines.Privacy;
using Medallion.Pipelines.Running;
using Medallion.Platform;
using Medallion.Platform.Benchmarks;
using Medallion.Platform.Privacy;

// Issue 21's data protection benchmark, on a customers project shaped like the quickstart's (bronze.customers with
// punctuated CPFs, silver.customers merged by key with a quarantine rule, gold one row per CPF) scaled to N customers:
// `pii scan` of bronze.customers (target <= 5 s at 10M rows) and the erasure of one person with its report (target
// < 1 min), each against plain DuckDB on the same files in the same run: one pass over the text columns for the
// scan, and for the erasure a rewrite of every table's files without the person's rows.
// Usage: Medallion.Platform.Benchmarks [--quick] [customers (default 10,000,000; --quick 200,000)] [work dir]
//        Medallion.Platform.Benchmarks audit [batches (default 2,000)]: the audit table's upkeep (AuditUpkeepScenario).
//        Medallion.Platform.Benchmarks diff [rows (default 10,000,000)]: issue 43's data diff of two versions (DiffScenario).
if (args.FirstOrDefault() == "diff")
{
    return await DiffScenario.RunAsync(args.Length > 1 ? long.Parse(args[1], CultureInfo.InvariantCulture) : 10_000_000);
}

if (args.FirstOrDefault() == "audit")
{
    return await AuditUpkeepScenario.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000);
}

bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();
long customers = rest.Length > 0 ? long.Parse(rest[0], CultureInfo.InvariantCulture) : quick ? 200_000 : 10_000_000;
string root = rest.Length > 1 ? Path.GetFullPath(rest[1]) : Directory.CreateTempSubdirectory("medallion-privacy-bench-").FullName;
try
{
    Console.WriteLine($"Data protection benchmark: {customers:N0} customers, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
    var setup = Stopwatch.StartNew();
    await WriteProjectAsync(root, customers);
    RunResult run = await ProjectRunner.RunAsync(await MedallionProject.LoadAsync(root), new RunOptions());
    if (!run.Succeeded)
    {
        throw new InvalidOperationException("The project's run failed: " + string.Join("; ", run.Steps.Select(s => s.Error)));
    }

    Console.WriteLine($"  setup (generate and build bronze, silver, gold): {setup.Elapsed.TotalSeconds:0.0} s");
    string person = await ScalarAsync($"SELECT cpf FROM read_parquet('{Path.Combine(root, "data", "customers.parquet")}') WHERE customer_id = {customers / 2}");

    // pii scan of bronze.customers, against one plain DuckDB pass over the same text columns of the same files.
    string bronzeFiles = FilesOf(Path.Combine(root, "warehouse", "bronze", "customers"));
    double baselineScan = await TimeAsync(() => ScalarAsync($"SELECT count(name) + count(cpf) + count(email) + count(phone) FROM read_parquet({bronzeFiles})"));
    double scan = 0;
    int found = 0;
    await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(root))
    {
        scan = await TimeAsync(async () => found = (await lakehouse.ScanPiiAsync(new TableName("bronze", "customers"))).Count(f => f.Detected is not null));
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"pii scan bronze.customers: {scan:0.00} s ({found} columns of identifiers), DuckDB pass over its text columns {baselineScan:0.00} s, ratio {scan / baselineScan:0.00}x (target <= 5 s: {(scan <= 5 ? "met" : "MISSED")})"));

    // Erasure of one person with its report, against plain DuckDB rewriting every table's files without the person.
    double baselineErase = await TimeAsync(async () =>
    {
        string[] tables = ["bronze/customers", "silver/customers", "gold/people"];
        foreach (string table in tables)
        {
            string column = table == "bronze/customers" ? "regexp_replace(cpf, '[^0-9]', '', 'g')" : "cpf";
            await ScalarAsync($"COPY (SELECT * FROM read_parquet({FilesOf(Path.Combine(root, "warehouse", table))}) WHERE {column} <> '{Digits(person)}') TO '{Path.Combine(root, "baseline-" + table.Replace('/', '-') + ".parquet")}' (FORMAT parquet)");
        }
    });
    ErasureReport? report = null;
    double erase;
    await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(root))
    {
        erase = await TimeAsync(async () => report = await lakehouse.EraseSubjectAsync(SubjectIdentifier.Parse(PiiKind.Cpf, person), "benchmark"));
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"subject erase (1 person, {report!.Rows} rows in {report.Tables.Count} tables, {report.Tables.Sum(t => t.RemovedFiles.Count)} old files removed, report {report.SavedTo}): {erase:0.00} s, DuckDB rewrite without the person {baselineErase:0.00} s, ratio {erase / baselineErase:0.00}x (target < 60 s: {(erase < 60 ? "met" : "MISSED")})"));
    Console.WriteLine($"load average {LoadAverage()}");
    return 0;
}
finally
{
    if (rest.Length <= 1)
    {
        Directory.Delete(root, recursive: true);
    }
}

static async Task<double> TimeAsync(Func<Task> action)
{
    var watch = Stopwatch.StartNew();
    await action();
    return watch.Elapsed.TotalSeconds;
}

static async Task<string> ScalarAsync(string sql)
{
    await using var connection = new DuckDbConnection();
    connection.Open();
    using DuckDbCommand command = connection.CreateCommand();
    command.CommandText = sql;
    return Convert.ToString(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) ?? string.Empty;
}

static string FilesOf(string table) =>
    "[" + string.Join(", ", Directory.EnumerateFiles(table, "*.parquet").Select(f => "'" + f + "'")) + "]";

static string Digits(string cpf) => new(cpf.Where(char.IsAsciiDigit).ToArray());

static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

static async Task WriteProjectAsync(string root, long customers)
{
    Directory.CreateDirectory(Path.Combine(root, "data"));
    Directory.CreateDirectory(Path.Combine(root, "models", "silver"));
    Directory.CreateDirectory(Path.Combine(root, "models", "gold"));
    Directory.CreateDirectory(Path.Combine(root, "sources"));
    await File.WriteAllTextAsync(Path.Combine(root, "medallion.yml"), "name: privacy_bench\nstorage: warehouse\ncatalog: .medallion/catalog.db\n");
    await File.WriteAllTextAsync(Path.Combine(root, "sources", "crm.yml"), "sources:\n  - name: customers\n    format: parquet\n    path: data/*.parquet\n    target: bronze.customers\n");
    await File.WriteAllTextAsync(Path.Combine(root, "models", "silver", "customers.sql"), """
        /* ---
        materialized: merge
        unique_key: customer_id
        columns:
          name: {classification: pii}
          cpf: {classification: pii}
          email: {classification: pii}
          phone: {classification: pii}
        expectations:
          - expression: email LIKE '%@%'
            name: email_has_at
            severity: quarantine
        --- */
        SELECT customer_id, trim(name) AS name, regexp_replace(cpf, '[^0-9]', '', 'g') AS cpf, lower(email) AS email, phone, created_at
        FROM bronze.customers
        """);
    await File.WriteAllTextAsync(Path.Combine(root, "models", "gold", "people.sql"), """
        /* ---
        columns:
          cpf: {classification: pii}
        --- */
        SELECT cpf, count(*) AS accounts, min(created_at) AS first_seen FROM silver.customers GROUP BY cpf
        """);
    // Valid CPFs, one per customer (check digits computed as the quickstart's silver model checks them); one e-mail in
    // a thousand is malformed, so the quarantine table has rows too.
    string n = customers.ToString(CultureInfo.InvariantCulture);
    await ScalarAsync($"""
        COPY (
            WITH b AS (SELECT i, lpad(CAST((i * 104729 + 7) % 1000000000 AS VARCHAR), 9, '0') AS base FROM range({n}) t(i)),
            d1 AS (SELECT *, list_sum(list_transform(range(1, 10), k -> substr(base, k, 1)::INTEGER * (11 - k))) * 10 % 11 % 10 AS c1 FROM b),
            d2 AS (SELECT *, (list_sum(list_transform(range(1, 10), k -> substr(base, k, 1)::INTEGER * (12 - k))) + c1 * 2) * 10 % 11 % 10 AS c2 FROM d1)
            SELECT i AS customer_id, 'Pessoa ' || i AS name,
                substr(base, 1, 3) || '.' || substr(base, 4, 3) || '.' || substr(base, 7, 3) || '-' || c1 || c2 AS cpf,
                CASE WHEN i % 1000 = 999 THEN 'sem-email' ELSE 'p' || i || '@example.com' END AS email,
                '(11) 9' || lpad(CAST(i % 10000 AS VARCHAR), 4, '0') || '-' || lpad(CAST(i % 9973 AS VARCHAR), 4, '0') AS phone,
                TIMESTAMP '2020-01-01' + to_days(CAST(i % 1000 AS INTEGER)) AS created_at
            FROM d2
        ) TO '{Path.Combine(root, "data", "customers.parquet")}' (FORMAT parquet)
        """);
}
