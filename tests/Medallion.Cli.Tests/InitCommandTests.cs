namespace Medallion.Cli.Tests;

/// <summary><c>medallion init</c>: what it tells a new user to do next.</summary>
public sealed class InitCommandTests
{
    [Fact]
    public async Task The_next_steps_start_with_run_and_name_the_project_folder()
    {
        using var parent = new TempDirectory("init");
        string project = Path.Combine(parent.Path, "shop");

        Cli.Result result = await Cli.RunAsync("init", project);

        Assert.Equal(0, result.ExitCode);
        Assert.EndsWith(
            "Next steps:\n"
            + $"  medallion run --project {project}                         # build bronze, silver and gold from the sample data\n"
            + $"  medallion tables --project {project}                      # see what it built\n"
            + $"  medallion lineage gold.daily_revenue --project {project}  # see where the revenue comes from\n"
            + "Then read the comments in medallion.yml and models/, which explain each setting.\n",
            result.Output,
            StringComparison.Ordinal);
    }
}
