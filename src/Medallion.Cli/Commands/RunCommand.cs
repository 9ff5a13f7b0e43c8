using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
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
        var continuous = new Option<bool>("--continuous") { Description = "Keep going until Ctrl+C: CDC sources stream in micro-batches of --interval, and the models downstream run after each pass that brought something." };
        Option<double> interval = ContinuousInterval.CreateOption("Continuous mode: seconds a CDC stream pass lasts and the longest pause between passes of the models; CDC tables commit changes as they come, at most four times and at least once per interval.");
        Option<string> grace = ShutdownGrace.CreateOption("Continuous mode: on Ctrl+C or SIGTERM, how long the passes under way may go on to commit before they are cancelled (committing nothing more), e.g. 30s.");
        Option<string> project = ProjectOption.Create();
        var command = new Command("run", "Run the project's models: load their sources, build each model with its materialization, record everything in the catalog.")
        {
            select, fullRefresh, threads, format, continuous, interval, grace, project,
        };
        command.SetAction((parsed, cancellationToken) =>
        {
            int threadCount = parsed.GetValue(threads);
            if (threadCount < 1)
            {
                throw new MedallionException(ErrorCode.CommandLineInvalid, $"--threads must be at least 1, not {threadCount}. Help: leave it out to use one thread per processor.");
            }

            var options = new RunOptions { Select = parsed.GetValue(select), FullRefresh = parsed.GetValue(fullRefresh), Threads = threadCount };
            if (parsed.GetValue(continuous))
            {
                return RunContinuousAsync(ProjectOption.Resolve(parsed, project), options, TimeSpan.FromSeconds(parsed.GetValue(interval)), SqlEndpointArguments.ReadDuration(parsed, grace), parsed.GetValue(format), output, cancellationToken);
            }

            return RunAsync(ProjectOption.Resolve(parsed, project), options, parsed.GetValue(format), output, cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// Passes until Ctrl+C: the first pass prints its summary, later ones one line per step that committed or failed
    /// (JSON: one document per such pass). Ctrl+C ends after the passes under way have committed, or cancels them once
    /// <paramref name="grace"/> is over (they commit nothing more); the command returns within the grace and
    /// <see cref="ShutdownGrace.AfterCancel"/> whatever the passes do.
    /// </summary>
    private static async Task<int> RunContinuousAsync(string directory, RunOptions options, TimeSpan interval, TimeSpan grace, RunFormat format, TextWriter output, CancellationToken stop)
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(directory, cancellationToken: stop).ConfigureAwait(false);
        if (format == RunFormat.Table)
        {
            await output.WriteLineAsync($"Running continuously every {DurationText.Format(interval)}; Ctrl+C stops after the pass under way has committed.").ConfigureAwait(false);
        }

        int passes = 0;
        using var shutdown = new ShutdownGrace(grace, stop);
        Task<RunResult?> running = ProjectRunner.RunContinuousAsync(environment, options, interval, async result =>
        {
            passes++;
            List<StepResult> moved = result.Steps.Where(s => s.CommittedVersion is not null || s.State != StepState.Succeeded).ToList();
            if (format == RunFormat.Json)
            {
                if (passes == 1 || moved.Count > 0)
                {
                    await output.WriteLineAsync(RunReport.Json(result).ReplaceLineEndings(" ")).ConfigureAwait(false);
                }
            }
            else if (passes == 1)
            {
                await output.WriteAsync(RunReport.Summary(result)).ConfigureAwait(false);
            }
            else
            {
                foreach (StepResult step in moved)
                {
                    await output.WriteLineAsync($"pass {passes}: {step.Table} {RunReport.State(step.State)}, {RunReport.Rows(step)} row(s), {RunReport.Version(step)}; {RunReport.Detail(step)}").ConfigureAwait(false);
                }
            }
        }, stop, shutdown.Abort);
        if (!await shutdown.EndedAsync(running).ConfigureAwait(false))
        {
            await output.WriteLineAsync($"Stopped after {passes} pass(es) without waiting any longer: the pass under way did not end within {DurationText.Format(ShutdownGrace.AfterCancel)} of its cancellation at the end of the {DurationText.Format(grace)} grace. Every commit above is durable; the next run picks up where they left off.").ConfigureAwait(false);
            return MedallionCli.Failure;
        }

        RunResult? last = await running.ConfigureAwait(false);
        if (shutdown.Aborted)
        {
            await output.WriteLineAsync($"Stopped after {passes} pass(es): the passes under way did not commit within the {DurationText.Format(grace)} grace and were cancelled (they committed nothing). Every commit above is durable.").ConfigureAwait(false);
            return MedallionCli.Cancelled;
        }

        if (format == RunFormat.Table)
        {
            await output.WriteLineAsync($"Stopped after {passes} pass(es); every commit above is durable.").ConfigureAwait(false);
        }

        return last?.Status == RunStatus.Failed ? 1 : 0;
    }

    private static async Task<int> RunAsync(string directory, RunOptions options, RunFormat format, TextWriter output, CancellationToken cancellationToken)
    {
        await using ProjectEnvironment environment = await ProjectEnvironment.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false);
        RunResult result;
        if (format == RunFormat.Json)
        {
            result = await ProjectRunner.RunAsync(environment, options, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(RunReport.Json(result)).ConfigureAwait(false);
            return result.ExitCode;
        }

        if (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected)
        {
            result = await RunProgress.LiveAsync(progress => ProjectRunner.RunAsync(environment, options with { Progress = progress }, cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            var lines = new RunProgress.Lines(output);
            result = await ProjectRunner.RunAsync(environment, options with { Progress = lines }, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteAsync(RunReport.Summary(result)).ConfigureAwait(false);
        return result.ExitCode;
    }
}
