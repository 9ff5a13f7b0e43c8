using System.Text.Json;

namespace Medallion.Cli.Tests;

/// <summary>
/// A checkpoint that cannot be written after a commit (here its rows cannot be staged: the process's temp folder is
/// missing) leaves the commit standing and reported as made, with the checkpoint's failure as a warning. It used to fail
/// the operation after the commit with a bare "FileNotFoundException", so a scheduled run was recorded failed, and not
/// retried, while its rows were in the table.
/// </summary>
public sealed class CheckpointFailureTests : IDisposable
{
    private readonly StoreCli _cli = new();

    public void Dispose() => _cli.Dispose();

    private string MissingTemp => Path.Combine(_cli.Directory, "no-temp-folder");

    private Dictionary<string, string> WithoutTempFolder => new() { ["TMPDIR"] = MissingTemp };

    [Fact]
    public async Task A_delta_write_whose_checkpoint_cannot_be_written_reports_its_commit_with_a_warning_naming_the_temp_folder()
    {
        string table = Path.Combine(_cli.Directory, "t");
        await RunOkAsync("delta", "create", table, "--schema", "id long", "--property", "delta.checkpointInterval=1");

        (int exit, string output, string error) = await _cli.RunAsync(WithoutTempFolder, "delta", "write", table, "--from", "SELECT 1::BIGINT AS id");
        string nextWrite = await RunOkAsync("delta", "write", table, "--from", "SELECT 2::BIGINT AS id");

        Assert.True(exit == 0, $"exit {exit}: {output}\n{error}");
        Assert.Contains("committed version 1", output, StringComparison.Ordinal);
        Assert.Contains($"Version 1 was committed, but its checkpoint could not be written: Could not write the checkpoint of version 1 of the Delta table at '{table}': Could not stage a Parquet file in '{MissingTemp}/': the folder does not exist.", output + error, StringComparison.Ordinal);
        Assert.Contains("Checkpoint written at version 2.", nextWrite, StringComparison.Ordinal);
        Assert.Equal(["1", "2"], (await RowsAsync(table)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_run_whose_model_commit_cannot_be_checkpointed_succeeds_with_the_rows_once_and_the_warning_in_its_notes()
    {
        string project = Path.Combine(_cli.Directory, "project");
        Directory.CreateDirectory(Path.Combine(project, "models", "silver"));
        await File.WriteAllTextAsync(Path.Combine(project, "medallion.yml"), "name: ticks\n");
        await File.WriteAllTextAsync(Path.Combine(project, "models", "silver", "ticks.sql"), "/* ---\nmaterialized: append\n--- */\nSELECT range AS n FROM range(3)\n");
        string table = Path.Combine(project, "warehouse", "silver", "ticks");
        // A table whose every version is due a checkpoint: the model's first commit is version 1.
        await RunOkAsync("delta", "create", table, "--schema", "n long", "--property", "delta.checkpointInterval=1");

        (int exit, string output, string error) = await _cli.RunAsync(WithoutTempFolder, "run", "--project", project);
        JsonElement run = JsonDocument.Parse(await RunOkAsync("runs", "--project", project, "--format", "json")).RootElement[0];

        Assert.True(exit == 0, $"exit {exit}: {output}\n{error}");
        Assert.Equal("succeeded", run.GetProperty("run").GetProperty("status").GetString());
        Assert.Contains("Version 1 was committed, but its checkpoint could not be written", output, StringComparison.Ordinal);
        Assert.Equal(["0", "1", "2"], (await RowsAsync(table)).Order(StringComparer.Ordinal));
    }

    private async Task<string> RunOkAsync(params string[] args)
    {
        (int exit, string output, string error) = await _cli.RunAsync([], args);
        Assert.True(exit == 0, $"medallion {string.Join(' ', args)}: exit {exit}: {output}\n{error}");
        return output;
    }

    private async Task<List<string>> RowsAsync(string table) =>
        [.. JsonDocument.Parse(await RunOkAsync("delta", "read", table, "--format", "json")).RootElement.EnumerateArray().Select(r => r.EnumerateObject().First().Value.ToString())];
}
