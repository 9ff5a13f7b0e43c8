using System.Diagnostics;
using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion delta inspect|read|history|changes</c> on the shared conformance tables, through <see cref="MedallionCli.RunAsync"/>.</summary>
public sealed class DeltaCommandTests
{
    private static string Table(string caseName) => Path.Combine(ConformanceTables.Root, caseName, "table");

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await MedallionCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static async Task<JsonElement> RunJsonAsync(params string[] args)
    {
        (int exit, string output, string error) = await RunAsync(args);
        Assert.True(exit == 0, $"exit {exit}: {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    /// <summary>Issue #20: a URI used to be taken as a local path, writing a folder named after its scheme under the current directory.</summary>
    [Theory]
    [InlineData("create", "--schema", "id long NOT NULL")]
    [InlineData("write", "--from", "SELECT 1::BIGINT AS id")]
    [InlineData("delete", "--where", "id = 1")]
    public async Task A_write_to_a_uri_of_an_unsupported_scheme_fails_with_the_unsupported_scheme_error_and_leaves_no_local_folder(string command, string option, string value)
    {
        string directory = Path.Combine(Path.GetTempPath(), "medallion-cli-uri-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            // A process of its own, so the current directory can be a fresh folder without touching the test host's.
            var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "medallion.dll"), "delta", command, "hdfs://namenode/sales/orders", option, value })
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start.WithoutDiagnosticFiles())!;
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

            Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}: {await output}{await error}");
            Assert.Equal(
                "Error MDL5005: The table location 'hdfs://namenode/sales/orders' uses the scheme 'hdfs://', which no store supports.\nHelp: give a local path (or a file:/// URI), or a URI of a store: s3://, s3a://, az://, azure://, abfs://, abfss://, gs://, gcs://.\n",
                await error);
            Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Inspect_of_a_uri_of_an_unsupported_scheme_fails_with_the_unsupported_scheme_error()
    {
        (int exit, _, string error) = await RunAsync("delta", "inspect", "hdfs://namenode/sales/orders");

        Assert.Equal(1, exit);
        Assert.StartsWith("Error MDL5005: The table location 'hdfs://namenode/sales/orders' uses the scheme 'hdfs://', which no store supports.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_of_a_duckdb_timestamp_into_a_timestamp_column_stores_it_as_that_utc_instant()
    {
        string path = Path.Combine(Path.GetTempPath(), "medallion-cli-ts-" + Guid.NewGuid().ToString("N"));
        try
        {
            (int created, _, string createError) = await RunAsync("delta", "create", path, "--schema", "id long, ts timestamp");
            (int written, _, string writeError) = await RunAsync("delta", "write", path, "--from", "SELECT 1 AS id, TIMESTAMP '2026-01-01 10:00:00' AS ts");
            JsonElement rows = await RunJsonAsync("delta", "read", path, "--format", "json");

            Assert.Equal((0, string.Empty, 0, string.Empty), (created, createError, written, writeError));
            Assert.Equal("[{\"id\":1,\"ts\":\"2026-01-01T10:00:00Z\"}]", rows.GetRawText());
        }
        finally
        {
            Directory.Delete(path, recursive: true);
        }
    }

    [Fact]
    public async Task Inspect_json_reports_version_protocol_schema_files_records_and_size()
    {
        JsonElement info = await RunJsonAsync("delta", "inspect", Table("krs-cdf-table"), "--format", "json");

        Assert.Equal(3, info.GetProperty("version").GetInt64());
        Assert.Equal(1, info.GetProperty("protocol").GetProperty("minReaderVersion").GetInt32());
        Assert.Equal(["id", "name", "birthday"], info.GetProperty("schema").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(9, info.GetProperty("numRecords").GetInt64());
        Assert.True(info.GetProperty("numFiles").GetInt32() > 0);
        Assert.True(info.GetProperty("sizeBytes").GetInt64() > 0);
    }

    [Fact]
    public async Task Inspect_lists_partition_columns_and_reader_features_as_text()
    {
        (int exit, string output, _) = await RunAsync("delta", "inspect", Table("drs-delta-0.8.0-partitioned"));

        Assert.Equal(0, exit);
        Assert.Matches(@"Partition columns\s+year, month, day", output);
        Assert.Matches(@"Version\s+0", output);
    }

    [Fact]
    public async Task Inspect_at_a_version_shows_that_version()
    {
        JsonElement info = await RunJsonAsync("delta", "inspect", Table("drs-simple_table"), "--version", "2", "--format", "json");

        Assert.Equal(2, info.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Read_json_prints_an_array_of_row_objects()
    {
        JsonElement rows = await RunJsonAsync("delta", "read", Table("krs-cdf-table"), "--format", "json");

        Assert.Equal(9, rows.GetArrayLength());
        Assert.Equal(["id", "name", "birthday"], rows[0].EnumerateObject().Select(p => p.Name));
        Assert.Contains(rows.EnumerateArray(), r => r.GetProperty("id").GetInt32() == 10 && r.GetProperty("name").GetString() == "Borb");
    }

    [Fact]
    public async Task Read_at_an_old_version_prints_that_version_as_csv()
    {
        (int exit, string output, _) = await RunAsync("delta", "read", Table("drs-simple_table"), "--version", "0", "--format", "csv");

        Assert.Equal(0, exit);
        Assert.Equal(["0", "1", "2", "3", "4", "id"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Read_where_keeps_only_matching_rows_of_a_partitioned_table()
    {
        JsonElement rows = await RunJsonAsync("delta", "read", Table("drs-delta-0.8.0-partitioned"), "--where", "year = '2020' AND month = '2'", "--format", "json");

        Assert.Equal(["2", "3"], rows.EnumerateArray().Select(r => r.GetProperty("value").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Read_limit_caps_the_rows()
    {
        JsonElement rows = await RunJsonAsync("delta", "read", Table("krs-cdf-table"), "--limit", "2", "--format", "json");

        Assert.Equal(2, rows.GetArrayLength());
    }

    [Fact]
    public async Task Read_table_format_ends_with_the_row_count()
    {
        (int exit, string output, _) = await RunAsync("delta", "read", Table("drs-simple_table"));

        Assert.Equal(0, exit);
        Assert.Contains("(3 rows", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task History_json_has_one_entry_per_version_newest_first_with_operation_parameters_and_metrics()
    {
        JsonElement history = await RunJsonAsync("delta", "history", Table("krs-cdf-table"), "--format", "json");

        Assert.Equal([3L, 2L, 1L, 0L], history.EnumerateArray().Select(e => e.GetProperty("version").GetInt64()));
        JsonElement first = history[3];
        Assert.False(string.IsNullOrEmpty(first.GetProperty("operation").GetString()));
        Assert.Equal(JsonValueKind.Object, first.GetProperty("parameters").ValueKind);
        Assert.Equal(JsonValueKind.Object, first.GetProperty("metrics").ValueKind);
        Assert.True(DateTimeOffset.TryParse(first.GetProperty("timestamp").GetString(), out _));
    }

    [Fact]
    public async Task Changes_json_has_change_type_commit_version_and_commit_timestamp()
    {
        JsonElement changes = await RunJsonAsync("delta", "changes", Table("krs-cdf-table"), "--from", "0", "--format", "json");

        Assert.Equal(23, changes.GetArrayLength());
        Assert.All(changes.EnumerateArray(), c =>
        {
            Assert.Contains(c.GetProperty("_change_type").GetString(), (string[])["insert", "delete", "update_preimage", "update_postimage"]);
            Assert.Equal(JsonValueKind.String, c.GetProperty("_commit_timestamp").ValueKind);
        });
        Assert.Equal(10, changes.EnumerateArray().Count(c => c.GetProperty("_commit_version").GetInt64() == 0));
    }

    [Fact]
    public async Task Changes_to_a_version_stop_at_that_version()
    {
        JsonElement changes = await RunJsonAsync("delta", "changes", Table("krs-cdf-table"), "--from", "2", "--to", "2", "--format", "json");

        Assert.Equal(6, changes.GetArrayLength());
        Assert.All(changes.EnumerateArray(), c => Assert.Equal(2, c.GetProperty("_commit_version").GetInt64()));
    }

    [Fact]
    public async Task A_directory_without_a_delta_log_fails_with_exit_code_1_and_says_so()
    {
        string dir = Directory.CreateTempSubdirectory("medallion-cli-").FullName;
        try
        {
            (int exit, _, string error) = await RunAsync("delta", "inspect", dir);

            Assert.Equal(1, exit);
            Assert.Contains("No Delta table at", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_directory_fails_with_exit_code_1_naming_it()
    {
        string missing = Path.Combine(Path.GetTempPath(), "medallion-no-such-table-" + Guid.NewGuid().ToString("N"));

        (int exit, _, string error) = await RunAsync("delta", "read", missing);

        Assert.Equal(1, exit);
        Assert.Contains(missing, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_after_the_newest_fails_with_exit_code_1()
    {
        (int exit, _, string error) = await RunAsync("delta", "read", Table("drs-simple_table"), "--version", "99");

        Assert.Equal(1, exit);
        Assert.Contains("99", error, StringComparison.Ordinal);
        Assert.StartsWith("Error ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_and_timestamp_together_are_a_usage_error()
    {
        (int exit, _, string error) = await RunAsync("delta", "read", Table("drs-simple_table"), "--version", "1", "--timestamp", "2020-05-02T00:00:00Z");

        Assert.Equal(2, exit);
        Assert.Contains("either --version or --timestamp", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timestamp_time_travel_reads_the_version_committed_at_or_before_it()
    {
        string dir = Directory.CreateTempSubdirectory("medallion-cli-").FullName;
        try
        {
            string source = Table("drs-simple_table");
            foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
            {
                string dest = Path.Combine(dir, Path.GetRelativePath(source, file));
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                File.Copy(file, dest);
            }

            for (int v = 0; v < 5; v++)
            {
                File.SetLastWriteTimeUtc(Path.Combine(dir, "_delta_log", $"{v:D20}.json"), new DateTime(2020, 5, 1 + v, 12, 0, 0, DateTimeKind.Utc));
            }

            JsonElement info = await RunJsonAsync("delta", "inspect", dir, "--timestamp", "2020-05-02T13:00:00Z", "--format", "json");

            Assert.Equal(1, info.GetProperty("version").GetInt64());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
