using System.Text.Json;
using Medallion.Delta.Snapshots;

namespace Medallion.Engine.Tests.Writing;

public sealed class GeneratedColumnTests : IDisposable
{
    private const string Schema = "id long, ts timestamp, day date GENERATED ALWAYS AS (CAST(ts AS DATE))";
    private readonly WriterFixture _f = new();

    public void Dispose() => _f.Dispose();

    private async Task<string> CreateAsync()
    {
        string path = _f.TablePath();
        await _f.Writer.CreateTableAsync(path, new DeltaTableDefinition(Schema) { PartitionBy = ["day"] });
        return path;
    }

    [Fact]
    public async Task A_generated_column_keeps_its_expression_as_written_and_the_table_needs_writer_version_4()
    {
        string path = await CreateAsync();

        Snapshot s = await _f.SnapshotAsync(path);

        Assert.Equal("CAST(ts AS DATE)", s.Schema.Find("day")!.Metadata["delta.generationExpression"].GetString());
        Assert.Equal((1, 4), (s.Protocol.MinReaderVersion, s.Protocol.MinWriterVersion));
    }

    [Fact]
    public async Task A_write_without_the_generated_column_computes_it()
    {
        string path = await CreateAsync();

        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, TIMESTAMPTZ '2024-05-06 23:59:00' AS ts UNION ALL SELECT 2, NULL");

        Assert.Equal(["1|2024-05-06 23:59:00|2024-05-06", "2|∅|∅"], await _f.ReadAsync(path, columns: "id, strftime(ts, '%Y-%m-%d %H:%M:%S'), CAST(day AS VARCHAR)"));
    }

    [Fact]
    public async Task A_provided_value_equal_to_the_expression_is_accepted()
    {
        string path = await CreateAsync();

        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, TIMESTAMPTZ '2024-05-06 10:00:00' AS ts, DATE '2024-05-06' AS day");

        Assert.Equal(["1|2024-05-06"], await _f.ReadAsync(path, columns: "id, CAST(day AS VARCHAR)"));
    }

    [Fact]
    public async Task A_provided_value_that_differs_is_refused_naming_the_column_and_both_values()
    {
        string path = await CreateAsync();

        var error = await Assert.ThrowsAsync<MedallionException>(() =>
            _f.Writer.WriteAsync(path, "SELECT 1 AS id, TIMESTAMPTZ '2024-05-06 10:00:00' AS ts, DATE '2024-05-07' AS day"));

        Assert.Equal(ErrorCode.DeltaConstraintViolation, error.Code);
        Assert.Contains("generated column 'day'", error.Message, StringComparison.Ordinal);
        Assert.Contains("received 2024-05-07 for a row where the expression gives 2024-05-06", error.Message, StringComparison.Ordinal);
        Assert.Empty((await _f.Writer.TryGetSnapshotAsync(path))!.Files);
    }

    [Fact]
    public async Task Update_of_a_column_the_expression_reads_recomputes_the_generated_column()
    {
        string path = await CreateAsync();
        await _f.Writer.WriteAsync(path, "SELECT 1 AS id, TIMESTAMPTZ '2024-05-06 10:00:00' AS ts");

        await _f.Writer.UpdateAsync(path, "ts = TIMESTAMPTZ '2025-01-02 03:04:05'", "id = 1");

        Assert.Equal(["1|2025-01-02"], await _f.ReadAsync(path, columns: "id, CAST(day AS VARCHAR)"));
    }

    [Fact]
    public async Task An_invalid_expression_is_refused_at_create_naming_the_column()
    {
        var error = await Assert.ThrowsAsync<MedallionException>(() =>
            _f.Writer.CreateTableAsync(_f.TablePath(), new DeltaTableDefinition("id long, day date GENERATED ALWAYS AS (CAST(nope AS DATE))")));

        Assert.Equal(ErrorCode.DeltaInvalidWriteArgument, error.Code);
        Assert.Contains("generated column 'day'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_another_engine_wrote_with_a_generated_column_at_writer_version_4_can_be_appended_to()
    {
        string path = _f.TablePath();
        Directory.CreateDirectory(Path.Combine(path, "_delta_log"));
        // As Spark writes it: the expression in the field metadata, the legacy writer version 4 that implies the feature.
        string schema = JsonSerializer.Serialize("""{"type":"struct","fields":[{"name":"v","type":"integer","nullable":true,"metadata":{}},{"name":"twice","type":"integer","nullable":true,"metadata":{"delta.generationExpression":"v * 2"}}]}""");
        File.WriteAllLines(Path.Combine(path, "_delta_log", "00000000000000000000.json"),
        [
            """{"protocol":{"minReaderVersion":1,"minWriterVersion":4}}""",
            """{"metaData":{"id":"spark","format":{"provider":"parquet","options":{}},"schemaString":""" + schema + ""","partitionColumns":[],"configuration":{},"createdTime":1}}""",
        ]);

        await _f.Writer.WriteAsync(path, "SELECT 21 AS v");

        Assert.Equal(["21|42"], await _f.ReadAsync(path));
    }
}
