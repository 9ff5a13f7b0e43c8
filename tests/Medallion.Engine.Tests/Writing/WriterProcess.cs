using System.Collections.Concurrent;
using System.Diagnostics;

namespace Medallion.Engine.Tests.Writing;

/// <summary>
/// A writer in its own process (the WriterHost program), for tests that kill writers or run several at once. Its
/// standard output is collected line by line; <see cref="Ready"/> completes once it has opened DuckDB.
/// </summary>
internal sealed class WriterProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _errors = new();
    private volatile bool _done;

    private WriterProcess(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(HostAssembly);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        _process = new Process { StartInfo = start.WithoutDiagnosticFiles() };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _ready.TrySetException(new InvalidOperationException("The writer process ended before it was ready: " + Errors));
                return;
            }

            _done |= e.Data.StartsWith("done", StringComparison.Ordinal);
            _lines.Enqueue(e.Data);
            if (e.Data == "ready")
            {
                _ready.TrySetResult();
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>
    /// The WriterHost assembly, built beside the output of the test project running (this file is shared by the test
    /// projects that start writers; the artifacts layout mirrors project names).
    /// </summary>
    private static string HostAssembly { get; } = Path.Combine(
        AppContext.BaseDirectory.Replace(typeof(WriterProcess).Assembly.GetName().Name!, "Medallion.Engine.WriterHost", StringComparison.Ordinal),
        "Medallion.Engine.WriterHost.dll");

    public static WriterProcess Start(params object[] args) =>
        new(args.Select(a => Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!));

    /// <summary>Starts a writer whose environment also has <paramref name="environment"/> (e.g. another store endpoint).</summary>
    public static WriterProcess StartWith(IReadOnlyDictionary<string, string> environment, params object[] args) =>
        new(args.Select(a => Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture)!), environment);

    /// <summary>The exit code, once the process has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits for the process to exit, whatever its exit code.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
    }

    public Task Ready => _ready.Task;

    /// <summary>Whether the operation printed "done" (it finished, whether or not the process has exited yet).</summary>
    public bool Done => _done;

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>SIGKILLs the process (no chance to clean up) and waits for it; true when it was still running its operation.</summary>
    public async Task<bool> KillAsync()
    {
        bool running = !_done && !_process.HasExited;
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own in the meantime.
        }

        await _process.WaitForExitAsync();
        return running;
    }

    /// <summary>Waits for a normal exit and fails with the process's error output when it exits non-zero.</summary>
    public async Task WaitForSuccessAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        // Drain the asynchronous readers.
        _process.WaitForExit();
        if (_process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The writer process exited with {_process.ExitCode}: {Errors}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
