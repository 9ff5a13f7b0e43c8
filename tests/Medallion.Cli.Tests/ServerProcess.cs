using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Medallion.Server;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion server</c> as a child process on free loopback ports: started, waited on until <c>/readyz</c> answers,
/// called through its REST API with the token it writes for the local CLI, and stopped by SIGTERM or SIGKILL.
/// </summary>
internal sealed partial class ServerProcess : IDisposable
{
    private const string StartedPrefix = "Medallion server for project ";
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _error = new();

    private ServerProcess(Process process, string projectDirectory)
    {
        _process = process;
        ProjectDirectory = projectDirectory;
    }

    public string ProjectDirectory { get; }

    /// <summary>The REST API's base address; set once <see cref="WaitUntilReadyAsync"/> returned.</summary>
    public Uri Api { get; private set; } = null!;

    /// <summary>A client that calls the REST API as the local CLI does (an operator).</summary>
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What it printed so far, standard output then standard error, for assertion messages.</summary>
    public string Printed => string.Join("\n", _output) + "\n--- stderr ---\n" + string.Join("\n", _error);

    public IReadOnlyCollection<string> Output => _output;

    public IReadOnlyCollection<string> Error => _error;

    /// <summary>Starts the server on <paramref name="projectDirectory"/> and returns once <c>/readyz</c> answers 200.</summary>
    public static Task<ServerProcess> StartAsync(string projectDirectory, params string[] arguments) => ReadyAsync(Launch(projectDirectory, arguments));

    /// <summary>
    /// Starts the server with only <c>--project</c> and <paramref name="arguments"/> on its command line and
    /// <paramref name="environment"/> added to its variables, and returns once <c>/readyz</c> answers 200.
    /// </summary>
    public static Task<ServerProcess> StartWithEnvironmentAsync(string projectDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        ReadyAsync(Launch(projectDirectory, environment, arguments));

    private static async Task<ServerProcess> ReadyAsync(ServerProcess server)
    {
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Starts the server without waiting for it (it may refuse to start); its SQL endpoint trusts loopback, so a project needs no users.</summary>
    public static ServerProcess Launch(string projectDirectory, params string[] arguments) =>
        Launch(projectDirectory, new Dictionary<string, string>(), ["--http-port", "0", "--pg-port", "0", "--trust-loopback", .. arguments]);

    private static ServerProcess Launch(string projectDirectory, IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "medallion.dll"), "server", "--project", projectDirectory }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        Process process = Process.Start(start.WithoutDiagnosticFiles())!;
        var server = new ServerProcess(process, projectDirectory);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) server._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) server._error.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits for the start line, takes the local token from the runtime file (the first operator's password on standby), and waits for <c>/readyz</c>.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(60);
        string? started;
        while ((started = _output.Select(Text).FirstOrDefault(l => l.StartsWith(StartedPrefix, StringComparison.Ordinal))) is null)
        {
            if (_process.HasExited || clock.Elapsed > limit)
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
                throw new InvalidOperationException("medallion server did not start:\n" + Printed);
            }

            await Task.Delay(50);
        }

        Api = new Uri(RestApiOn().Match(started).Groups[1].Value);
        ServerRuntimeFile runtime = await ServerRuntimeFile.ReadAsync(ProjectDirectory)
            ?? throw new InvalidOperationException("medallion server started without writing .medallion/server.json:\n" + Printed);
        // A server on standby leaves the file to the server that runs the jobs: it is reached as the first operator, by password.
        Http.DefaultRequestHeaders.Authorization = runtime.ProcessId == _process.Id
            ? new AuthenticationHeaderValue("Bearer", runtime.Token)
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
                FirstAdmin.UserName + ":" + (await File.ReadAllTextAsync(FirstAdmin.PasswordFile(ProjectDirectory))).TrimEnd('\n'))));
        while (true)
        {
            using HttpResponseMessage ready = await Http.GetAsync(new Uri(Api, "readyz"));
            if (ready.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            if (clock.Elapsed > limit)
            {
                throw new InvalidOperationException($"/readyz answered {(int)ready.StatusCode} for {limit}:\n" + Printed);
            }

            await Task.Delay(50);
        }
    }

    /// <summary>A printed line's text: the message of a JSON log line (<c>--log-format json</c>), else the line itself.</summary>
    private static string Text(string line)
    {
        if (!line.StartsWith('{'))
        {
            return line;
        }

        using JsonDocument json = JsonDocument.Parse(line);
        return json.RootElement.GetProperty("Message").GetString() ?? "";
    }

    /// <summary>GETs <paramref name="path"/> (e.g. <c>api/runs?job=x</c>) and returns its JSON; fails on any status but 200.</summary>
    public async Task<JsonElement> GetAsync(string path)
    {
        using HttpResponseMessage response = await Http.GetAsync(new Uri(Api, path));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>POSTs an empty JSON body to <paramref name="path"/> and returns the JSON answer; fails on any status but 200.</summary>
    public async Task<JsonElement> PostAsync(string path)
    {
        using var content = new StringContent("{}", Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await Http.PostAsync(new Uri(Api, path), content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Every run of <paramref name="job"/> (newest first), through the REST API's pages.</summary>
    public async Task<List<JsonElement>> GetRunsAsync(string job)
    {
        var runs = new List<JsonElement>();
        string? cursor = null;
        do
        {
            JsonElement page = await GetAsync($"api/runs?job={job}&limit=1000" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
            runs.AddRange(page.GetProperty("runs").EnumerateArray());
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);
        return runs;
    }

    /// <summary>Waits (real time) until <paramref name="condition"/> holds, checking every 100 ms.</summary>
    public async Task WaitForAsync(string what, Func<Task<bool>> condition, TimeSpan timeout)
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
    }

    /// <summary>kill -9: the process ends at once, with no chance to record anything (nothing happens to one that ended already).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Sends a signal (e.g. <c>STOP</c>: the process stays alive but runs nothing) and waits for kill to return.</summary>
    public void Signal(string name)
    {
        using Process kill = Process.Start("kill", ["-" + name, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGTERM, then waits for the process to end; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan? timeout = null)
    {
        Signal("TERM");
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException("medallion server did not stop after SIGTERM:\n" + Printed);
        }

        // The asynchronous readers may still hold the last lines.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits for a server that refused to start to exit; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
        Http.Dispose();
    }

    // A worker serves only its probes and metrics, on the same listener.
    [GeneratedRegex(@"(?:REST API|/metrics) on (\S+),")]
    private static partial Regex RestApiOn();
}
