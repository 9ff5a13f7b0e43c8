using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Pipelines;

namespace Medallion.Cli.Commands;

/// <summary><c>medallion init [dir]</c>: scaffolds a project whose comments teach the file formats.</summary>
internal static class InitCommand
{
    public static Command Create(TextWriter output)
    {
        var directory = new Argument<string>("dir")
        {
            Description = "Where to create the project (created when missing). Default: the current folder.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => ".",
        };
        var name = new Option<string?>("--name") { Description = "The project name. Default: the folder's name." };
        var command = new Command("init", "Create a project: medallion.yml, sources/, models/ and sample data.") { directory, name };
        command.SetAction((parsed, cancellationToken) => RunAsync(parsed.GetValue(directory) ?? ".", parsed.GetValue(name), output, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string directory, string? name, TextWriter output, CancellationToken cancellationToken)
    {
        string root = Path.GetFullPath(directory);
        IReadOnlyList<string> files = await ProjectTemplate.CreateAsync(root, name, cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"Created a Medallion project in {root}:").ConfigureAwait(false);
        foreach (string file in files)
        {
            await output.WriteLineAsync("  " + file).ConfigureAwait(false);
        }

        // Run first: until it has run, the project has no tables, and every other command has little to show.
        string project = directory == "." ? string.Empty : $" --project {directory}";
        (string Command, string Why)[] steps =
        [
            ($"medallion run{project}", "build bronze, silver and gold from the sample data"),
            ($"medallion tables{project}", "see what it built"),
            ($"medallion lineage gold.daily_revenue{project}", "see where the revenue comes from"),
        ];
        int width = steps.Max(s => s.Command.Length);
        await output.WriteLineAsync("Next steps:").ConfigureAwait(false);
        foreach ((string command, string why) in steps)
        {
            await output.WriteLineAsync($"  {command.PadRight(width)}  # {why}").ConfigureAwait(false);
        }

        await output.WriteLineAsync("Then read the comments in medallion.yml and models/, which explain each setting.").ConfigureAwait(false);
        return 0;
    }
}
