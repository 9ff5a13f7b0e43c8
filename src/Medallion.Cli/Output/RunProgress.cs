using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines.Running;
using Spectre.Console;

namespace Medallion.Cli.Output;

/// <summary>Live progress of <c>medallion run</c>: a redrawn table on a terminal, one plain line per event elsewhere (logs, CI, tests).</summary>
internal static class RunProgress
{
    /// <summary>One line per state change: <c>12:00:01 silver.orders (model) succeeded incremental 3 rows v4 0.4s</c>.</summary>
    internal sealed class Lines(TextWriter output) : IProgress<RunEvent>
    {
        private readonly Lock _lock = new();

        public void Report(RunEvent value)
        {
            if (value.State == StepState.Queued)
            {
                return;
            }

            string line = DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + " " + RunReport.Step(value.Table, value.Kind) + " " + RunReport.State(value.State);
            if (value.Result is { } r)
            {
                string mode = RunReport.Mode(r);
                line += (mode == "-" ? string.Empty : " " + mode)
                    + (r.RowsWritten is null ? string.Empty : " " + RunReport.Rows(r) + " rows")
                    + (r.CommittedVersion is null ? string.Empty : " " + RunReport.Version(r))
                    + " " + DurationText.Format(r.Duration);
                string detail = RunReport.Detail(r).Split('\n')[0];
                line += detail.Length == 0 ? string.Empty : " - " + detail;
            }

            lock (_lock)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
    }

    /// <summary>Runs <paramref name="run"/> under a live table that shows each step's state, rows and time.</summary>
    public static async Task<RunResult> LiveAsync(Func<IProgress<RunEvent>, Task<RunResult>> run)
    {
        var board = new Board();
        RunResult? result = null;
        await AnsiConsole.Live(board.Render()).AutoClear(false).StartAsync(async context =>
        {
            Task<RunResult> running = run(board);
            while (!running.IsCompleted)
            {
                context.UpdateTarget(board.Render());
                await Task.WhenAny(running, Task.Delay(200)).ConfigureAwait(false);
            }

            context.UpdateTarget(board.Render());
            result = await running.ConfigureAwait(false);
        }).ConfigureAwait(false);
        return result!;
    }

    /// <summary>The latest state of each step, drawn as a table; events arrive from the runner's thread.</summary>
    private sealed class Board : IProgress<RunEvent>
    {
        private readonly Lock _lock = new();
        private readonly List<TableName> _order = [];
        private readonly Dictionary<TableName, (RunEvent Event, Stopwatch Clock)> _steps = [];

        public void Report(RunEvent value)
        {
            lock (_lock)
            {
                if (!_steps.ContainsKey(value.Table))
                {
                    _order.Add(value.Table);
                }

                _steps[value.Table] = (value, value.State == StepState.Running ? Stopwatch.StartNew() : _steps.GetValueOrDefault(value.Table).Clock ?? new Stopwatch());
            }
        }

        public Table Render()
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("step", "state", "rows", "version", "time", "notes");
            lock (_lock)
            {
                foreach (TableName name in _order)
                {
                    (RunEvent e, Stopwatch clock) = _steps[name];
                    string color = e.State switch
                    {
                        StepState.Succeeded => "green",
                        StepState.Failed => "red",
                        StepState.Running => "yellow",
                        StepState.Skipped or StepState.Cancelled => "grey",
                        _ => "default",
                    };
                    StepResult? r = e.Result;
                    table.AddRow(
                        Markup.Escape(RunReport.Step(e.Table, e.Kind)),
                        $"[{color}]{RunReport.State(e.State)}[/]",
                        r is null ? string.Empty : RunReport.Rows(r),
                        r is null ? string.Empty : RunReport.Version(r),
                        e.State == StepState.Queued ? string.Empty : DurationText.Format(r?.Duration ?? clock.Elapsed),
                        Markup.Escape(r is null ? string.Empty : RunReport.Detail(r).Split('\n')[0]));
                }
            }

            return table;
        }
    }
}
