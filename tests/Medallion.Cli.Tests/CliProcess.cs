using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion</c> with any arguments as a child process: what it prints, and a stop by a signal (Ctrl+C is SIGINT)
/// timed from the signal to the process's exit.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _error = new();
    private readonly Stopwatch _sinceLaunch = Stopwatch.StartNew();

    private CliProcess(Process process) => _process = process;

    /// <summary>Standard output so far.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>What it printed so far, standard output then standard error, for assertion messages.</summary>
    public string Printed => string.Join("\n", _output) + "\n--- stderr ---\n" + string.Join("\n", _error);

    public static CliProcess Start(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "medallion.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var cli = new CliProcess(Process.Start(start.WithoutDiagnosticFiles())!);
        cli._process.OutputDataReceived += (_, e) => { if (e.Data is not null) cli._output.Enqueue(e.Data); };
        cli._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) cli._error.Enqueue(e.Data); };
        cli._process.BeginOutputReadLine();
        cli._process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Waits until a line of standard output starts with <paramref name="prefix"/>; returns how long after the launch it came.</summary>
    public Task<TimeSpan> WaitForLineAsync(string prefix, TimeSpan timeout) =>
        WaitForAsync($"a line starting '{prefix}'", () => Task.FromResult(_output.Any(l => l.StartsWith(prefix, StringComparison.Ordinal))), timeout);

    /// <summary>Waits (real time) until <paramref name="condition"/> holds while the process runs; returns how long after the launch it held.</summary>
    public async Task<TimeSpan> WaitForAsync(string what, Func<Task<bool>> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout || _process.HasExited)
            {
                throw new TimeoutException($"Gave up after {clock.Elapsed.TotalSeconds:0.0} s waiting for {what}:\n{Printed}");
            }

            await Task.Delay(100);
        }

        return _sinceLaunch.Elapsed;
    }

    /// <summary>Sends <paramref name="signal"/> (INT, TERM) and waits for the exit; returns the exit code and the time from the signal to the exit.</summary>
    /// <exception cref="TimeoutException">The process had not ended after <paramref name="timeout"/>; it is killed.</exception>
    public async Task<(int ExitCode, TimeSpan Took)> StopAsync(string signal, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        using (Process kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"medallion did not stop within {timeout.TotalSeconds:0} s of SIG{signal}:\n{Printed}");
        }

        TimeSpan took = clock.Elapsed;
        // The asynchronous readers may still hold the last lines.
        _process.WaitForExit();
        return (_process.ExitCode, took);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
