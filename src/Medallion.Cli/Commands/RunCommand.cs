using System;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Cli.Output;
using Medallion.Pipelines;
using Medallion.Pipelines.Running;

namespace Medallion.Cli.Commands;

/// <summary><c>medallion run</c>: builds the selected models (and loads the sources they read), with live progress and a summary.</summary>
internal static class RunCommand
{
    internal enum RunFormat
    {
        Table,
        Json,
    }

    public static Command Create(TextWriter output)
    {
        var select = new Option<string?>("--select", "-s") { Description = "Which models: silver.orders, silver.*, tag:daily, +model (with upstream), model+ (with downstream); space-separated terms are unioned. Default: all." };
        var fullRefresh = new Option<bool>("--full-refresh") { Description = "Rebuild incremental models from all upstream data." };
        var threads = new Option<int>("--threads", "-t") { Description = "How many models run at once. Default: the processor count.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var format = new Option<RunFormat>("--format", "-f") { Description = "Output: table (live progress and a summary) or json (the result, machine-readable).", DefaultValueFactory = _ => RunFormat.Table };
        Option<string> project = ProjectOption.Create();
        var command = new Command("run", "Run the project's models: load their sources, build each model with its materialization, record everything in the catalog.")
        {
            select, fullRefresh, threads, format, project,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            int threadCount = parsed.GetValue(threads);
            if (threadCount < 1)
            {
                throw new ArgumentException($"--threads must be at least 1, not {threadCount}. Help: leave it out to use one thread per processor.");
            }

            var options = new RunOptions { Select = parsed.GetValue(select), FullRefresh = parsed.GetValue(fullRefresh), Threads = threadCount };
            return RunAsync(ProjectOption.Resolve(parsed, project), options, parsed.GetValue(format), output, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(string directory, RunOptions options, RunFormat format, TextWriter output, CancellationToken cancellationToken)
    {
        MedallionProject project = await MedallionProject.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
        RunResult result;
        if (format == RunFormat.Json)
        {
            result = await ProjectRunner.RunAsync(project, options, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(RunReport.Json(result)).ConfigureAwait(false);
            return result.ExitCode;
        }

        if (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected)
        {
            result = await RunProgress.LiveAsync(progress => ProjectRunner.RunAsync(project, options with { Progress = progress }, cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            var lines = new RunProgress.Lines(output);
            result = await ProjectRunner.RunAsync(project, options with { Progress = lines }, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteAsync(RunReport.Summary(result)).ConfigureAwait(false);
        return result.ExitCode;
    }
}
