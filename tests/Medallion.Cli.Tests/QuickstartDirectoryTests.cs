namespace Medallion.Cli.Tests;

/// <summary>What <c>medallion quickstart</c> does with a directory that is not empty (it never runs here).</summary>
public sealed class QuickstartDirectoryTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "medallion-quickstart-dir-" + Guid.NewGuid().ToString("N"));

    public QuickstartDirectoryTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Quickstart_refuses_an_earlier_demo_without_force_and_says_how_to_explore_or_recreate_it()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "medallion.yml"), "name: medallion_demo\n");

        Cli.Result result = await Cli.RunAsync("quickstart", _directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"Error MDL6010: '{_directory}' already holds a quickstart demo.\nHelp: explore it with 'medallion tables --project {_directory}', " +
            $"recreate it with 'medallion quickstart {_directory} --force', or pass another directory.\n",
            result.Error);
        Assert.Equal(["medallion.yml"], Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Quickstart_with_force_still_leaves_a_folder_that_is_not_a_demo_alone()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "medallion.yml"), "name: my_real_project\n");
        await File.WriteAllTextAsync(Path.Combine(_directory, "notes.txt"), "precious");

        Cli.Result result = await Cli.RunAsync("quickstart", _directory, "--force");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error MDL6010: '{_directory}' is not empty and is not a quickstart demo; the quickstart leaves it alone.", result.Error, StringComparison.Ordinal);
        Assert.Equal("precious", await File.ReadAllTextAsync(Path.Combine(_directory, "notes.txt")));
    }
}
