using System.Globalization;
using System.Text;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Pipelines.Privacy;
using Medallion.Pipelines.Running;
using Medallion.Pipelines.Tests;
using Medallion.Platform.Privacy;

namespace Medallion.Platform.Tests.Privacy;

/// <summary><c>pii scan</c>, <c>pii_guard</c> and retention on projects the real runner built.</summary>
public sealed class PiiScanTests : IDisposable
{
    private readonly TestProject _files = new("name: scan\nstorage: lake\n");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _files.Dispose();
    }

    [Fact]
    public async Task Scan_finds_each_kind_of_identifier_in_its_column_and_takes_random_digits_for_none()
    {
        await BuildMixedAsync();
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_files.Directory);

        IReadOnlyList<PiiColumnFinding> findings = await lakehouse.ScanPiiAsync(new TableName("bronze", "mixed"));

        Assert.Equal(
            [("cpf", PiiKind.Cpf), ("cnpj", PiiKind.Cnpj), ("email", PiiKind.Email), ("phone", PiiKind.Phone), ("cep", PiiKind.Cep), ("card", PiiKind.CardNumber)],
            findings.Where(f => f.Detected is not null).Select(f => (f.Column, f.Detected!.Value)));
        Assert.DoesNotContain(findings, f => f.Column is "random_digits" or "note" && f.Detected is not null);
        Assert.Equal(1.0, findings.Single(f => f.Column == "cpf").Shares[0].Share);
        Assert.All(findings.Where(f => f.Detected is not null), f => Assert.Equal("pii", f.SuggestedClassification));
    }

    [Fact]
    public async Task Scan_flags_a_classified_column_copied_through_a_transformation_and_suggests_a_classification()
    {
        await BuildCopiesAsync();
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_files.Directory);

        IReadOnlyList<PiiColumnFinding> findings = await lakehouse.ScanPiiAsync(new TableName("silver", "copies"));

        Assert.Equal(
            [("contact", PiiKind.Email, (string?)null, (string?)"pii"), ("cpf_digits", PiiKind.Cpf, null, "pii"), ("shout", PiiKind.Email, null, "pii"), ("taxpayer", PiiKind.Cpf, null, "pii")],
            findings.Where(f => f.Column != "email_copy").OrderBy(f => f.Column, StringComparer.Ordinal)
                .Select(f => (f.Column, f.Detected!.Value, f.Classification, f.SuggestedClassification)));
    }

    [Fact]
    public async Task Scan_shows_an_unchanged_copy_of_a_classified_column_with_the_classification_it_inherits_and_suggests_nothing()
    {
        await BuildCopiesAsync();
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_files.Directory);

        IReadOnlyList<PiiColumnFinding> findings = await lakehouse.ScanPiiAsync(new TableName("silver", "copies"));

        PiiColumnFinding copy = Assert.Single(findings, f => f.Column == "email_copy");
        Assert.Equal(("document", (string?)null), (copy.Classification, copy.SuggestedClassification));
    }

    [Fact]
    public async Task Writing_the_suggestions_classifies_the_model_column_and_keeps_the_rest_of_the_file_as_it_was()
    {
        await BuildMixedAsync();
        string path = Path.Combine(_files.Directory, "models/silver/contacts.sql");
        string before = await File.ReadAllTextAsync(path);
        await using (Lakehouse lakehouse = await Lakehouse.OpenAsync(_files.Directory))
        {
            IReadOnlyList<string> written = await lakehouse.WriteClassificationsAsync(await lakehouse.ScanPiiAsync(new TableName("silver", "contacts")));
            Assert.Equal(["models/silver/contacts.sql: email"], written);
        }

        string after = await File.ReadAllTextAsync(path);
        Assert.Equal(before.Replace("  email:\n    description: Where to write.  # kept\n", "  email:\n    classification: pii\n    description: Where to write.  # kept\n", StringComparison.Ordinal), after);
        MedallionProject project = await _files.LoadAsync();
        Assert.Equal("pii", project.Models.Single(m => m.Name.Name == "contacts").Config.Columns.Single(c => c.Name == "email").Classification);
    }

    [Fact]
    public async Task Pii_guard_fail_refuses_a_silver_model_writing_an_unclassified_cpf_column_naming_file_and_column()
    {
        _files.Write("medallion.yml", "name: scan\nstorage: lake\npii_guard: fail\n");
        WriteMixed();
        _files.Write("models/silver/leak.sql", "SELECT cpf AS taxpayer FROM bronze.mixed\n");

        RunResult result = await ProjectRunner.RunAsync(await _files.LoadAsync(), new RunOptions());

        StepResult leak = result.Steps.Single(s => s.Table.ToString() == "silver.leak");
        Assert.Equal(StepState.Failed, leak.State);
        Assert.Equal(ErrorCode.ModelPiiUnclassified, leak.ErrorCode);
        Assert.StartsWith("MDL6014: models/silver/leak.sql: model silver.leak writes personal data into unclassified column 'taxpayer' (CPF in 100", leak.Error, StringComparison.Ordinal);
        Assert.Contains("and pii_guard is 'fail', so nothing was committed.", leak.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_files.Directory, "lake", "silver", "leak", "_delta_log")) && Directory.EnumerateFiles(Path.Combine(_files.Directory, "lake", "silver", "leak", "_delta_log"), "*.json").Any());
    }

    [Fact]
    public async Task Retention_deletes_the_rows_older_than_the_models_keep_and_keeps_the_rest()
    {
        WriteMixed();
        _files.Write("models/silver/events.sql", """
            /* ---
            retention: {column: created_at, keep: 2y}
            --- */
            SELECT * FROM (VALUES (1, TIMESTAMP '2020-01-01'), (2, TIMESTAMP '2026-06-01'), (3, TIMESTAMP '2026-11-01')) AS v(id, created_at)
            """);
        Assert.True((await ProjectRunner.RunAsync(await _files.LoadAsync(), new RunOptions())).Succeeded);
        await using Lakehouse lakehouse = await Lakehouse.OpenAsync(_files.Directory);
        var now = new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

        IReadOnlyList<RetentionOutcome> dry = await lakehouse.ApplyRetentionAsync(now, dryRun: true);
        IReadOnlyList<RetentionOutcome> done = await lakehouse.ApplyRetentionAsync(now);

        Assert.Equal([("silver.events", 1L, (long?)null)], dry.Select(o => (o.Table.ToString(), o.Rows, o.CommittedVersion)));
        Assert.Equal([("silver.events", 1L, (long?)1L)], done.Select(o => (o.Table.ToString(), o.Rows, o.CommittedVersion)));
        Assert.Equal(2L, (await lakehouse.ListTablesAsync("silver")).Single(t => t.Name.Name == "events").Rows);
    }

    [Fact]
    public async Task A_retention_keep_that_is_not_a_duration_is_refused_at_its_file_line_and_column()
    {
        _files.Write("models/silver/events.sql", "/* ---\nretention:\n  column: created_at\n  keep: forever\n--- */\nSELECT 1 AS id\n");

        var error = await Assert.ThrowsAsync<MedallionException>(() => _files.LoadAsync());

        Assert.Equal(ErrorCode.ModelConfigInvalid, error.Code);
        Assert.StartsWith("models/silver/events.sql:4:9: 'keep' cannot be 'forever'. Expected a number and a unit: d (days), w (weeks), mo (months) or y (years), e.g. 'keep: 5y'.", error.Message, StringComparison.Ordinal);
    }

    private async Task BuildMixedAsync()
    {
        WriteMixed();
        _files.Write("models/silver/contacts.sql", """
            /* ---
            description: Contacts.
            columns:
              email:
                description: Where to write.  # kept
            --- */
            SELECT lower(email) AS email, note FROM bronze.mixed
            """);
        RunResult result = await ProjectRunner.RunAsync(await _files.LoadAsync(), new RunOptions());
        Assert.True(result.Succeeded, string.Join("; ", result.Steps.Select(s => s.Error)));
    }

    /// <summary>silver.people classifies bronze.mixed's e-mails and CPFs; silver.copies copies them, transformed and unchanged, classifying none.</summary>
    private async Task BuildCopiesAsync()
    {
        WriteMixed();
        _files.Write("models/silver/people.sql", """
            /* ---
            columns:
              email: {classification: document}
              cpf: {classification: document}
            --- */
            SELECT email, cpf FROM bronze.mixed
            """);
        _files.Write("models/silver/copies.sql", "SELECT lower(email) AS contact, cpf || '' AS taxpayer, regexp_replace(cpf, '[^0-9]', '', 'g') AS cpf_digits, upper(email) AS shout, email AS email_copy FROM silver.people\n");
        RunResult result = await ProjectRunner.RunAsync(await _files.LoadAsync(), new RunOptions());
        Assert.True(result.Succeeded, string.Join("; ", result.Steps.Select(s => s.Error)));
    }

    /// <summary>A bronze table of 400 rows: a column of each kind, random 11-digit numbers shaped like CPFs but failing the check digits, free text.</summary>
    private void WriteMixed()
    {
        var random = new Random(7);
        var csv = new StringBuilder("cpf,cnpj,email,phone,cep,card,random_digits,note\n");
        string[] cnpjs = ["11.222.333/0001-81", "12.ABC.345/01DE-35", "11222333000181"];
        string[] cards = ["4111 1111 1111 1111", "5555555555554444", "4012-8888-8888-1881"];
        for (int i = 0; i < 400; i++)
        {
            string digits;
            do
            {
                digits = string.Concat(Enumerable.Range(0, 11).Select(_ => random.Next(10).ToString(CultureInfo.InvariantCulture)));
            }
            while (PiiDetector.IsCpf(digits));

            // Shaped like a CPF, so the column stays text and only the check digits tell it apart.
            digits = $"{digits[..3]}.{digits[3..6]}.{digits[6..9]}-{digits[9..]}";

            csv.Append(CultureInfo.InvariantCulture,
                $"{PeopleProject.ValidCpf(random)},{cnpjs[i % 3]},user{i}@example.com,(11) 9{random.Next(1000, 9999)}-{random.Next(1000, 9999)},0{random.Next(1000, 9999)}-{random.Next(100, 999)},{cards[i % 3]},{digits},pedido {i} entregue\n");
        }

        _files.Write("sources/files.yml", "sources:\n  - name: mixed\n    format: csv\n    path: data/mixed/*.csv\n    target: bronze.mixed\n");
        _files.Write("data/mixed/1.csv", csv.ToString());
    }
}
