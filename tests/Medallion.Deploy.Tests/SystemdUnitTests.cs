namespace Medallion.Deploy.Tests;

/// <summary>deploy/systemd: the unit a VM runs <c>medallion server</c> with, and its environment file.</summary>
public sealed class SystemdUnitTests
{
    private static readonly string[] s_sandboxing = ["NoNewPrivileges", "PrivateTmp", "ProtectHome", "ProtectKernelTunables", "ProtectKernelModules", "ProtectControlGroups"];

    // The folders the server writes to: the project (with its .medallion/), the cache and the object cache.
    private static readonly string[] s_written = ["MEDALLION_PROJECT", "XDG_CACHE_HOME", "MEDALLION_CACHE_DIR"];

    [Fact]
    public async Task The_unit_passes_systemd_analyze_verify()
    {
        // verify checks that ExecStart's program exists: the copy runs this build's medallion from where the unit's is.
        string program = Path.Combine(AppContext.BaseDirectory, "medallion");
        Assert.True(File.Exists(program), $"{program} (the medallion program, beside these tests) is missing");
        using var directory = new TempDirectory("systemd-verify");
        string unit = Path.Combine(directory.Path, "medallion.service");
        string text = await File.ReadAllTextAsync(Repository.PathOf(SystemdFiles.Unit));
        Assert.Contains("ExecStart=/usr/local/bin/medallion server", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(unit, text.Replace("/usr/local/bin/medallion", program, StringComparison.Ordinal));

        Tool.Result verify = await Tool.RunAsync("systemd-analyze", "verify", unit);

        Assert.True(verify.ExitCode == 0 && verify.Error.Length == 0 && verify.Output.Length == 0, $"systemd-analyze verify {SystemdFiles.Unit}: exit {verify.ExitCode}\n{verify.Output}{verify.Error}");
    }

    [Fact]
    public void The_unit_runs_the_release_program_as_its_own_user_with_the_environment_file()
    {
        Assert.Equal("/usr/local/bin/medallion server", SystemdFiles.Service("ExecStart"));
        Assert.Equal("medallion", SystemdFiles.Service("User"));
        Assert.Equal("/etc/medallion/medallion.env", SystemdFiles.Service("EnvironmentFile"));
        Assert.Equal("on-failure", SystemdFiles.Service("Restart"));
    }

    [Fact]
    public void The_stop_timeout_outlasts_the_server_s_stop_after_sigterm()
    {
        TimeSpan stop = ServerVariables.StopTime(EnvironmentValues());

        Assert.Equal("SIGTERM", SystemdFiles.Service("KillSignal"));
        Assert.True(int.TryParse(SystemdFiles.Service("TimeoutStopSec"), out int seconds) && TimeSpan.FromSeconds(seconds) > stop,
            $"{SystemdFiles.Unit}: TimeoutStopSec must be above MEDALLION_GRACE + the time cancelled work has ({stop.TotalSeconds} s)");
    }

    [Fact]
    public void The_unit_is_sandboxed_and_writes_only_to_the_project_and_its_cache()
    {
        IReadOnlyDictionary<string, string> variables = EnvironmentValues();
        string[] writable = SystemdFiles.Service("ReadWritePaths")!.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("strict", SystemdFiles.Service("ProtectSystem"));
        Assert.All(s_sandboxing, key => Assert.Equal("yes", SystemdFiles.Service(key)));
        Assert.Equal("", SystemdFiles.Service("CapabilityBoundingSet"));
        Assert.Contains(SystemdFiles.Settings(), s => s is { Key: "SystemCallFilter", Value: "@system-service" });
        // The .NET JIT writes code it then runs.
        Assert.Null(SystemdFiles.Service("MemoryDenyWriteExecute"));
        Assert.All(s_written, variable =>
            Assert.True(writable.Any(path => (variables[variable] + "/").StartsWith(path + "/", StringComparison.Ordinal)), $"{SystemdFiles.EnvironmentFile}: {variable}={variables[variable]} is under none of ReadWritePaths"));
        Assert.Equal("/tmp", variables["TMPDIR"]);
    }

    [Fact]
    public void Every_variable_of_the_environment_file_is_one_the_server_reads()
    {
        string[] unknown = [.. SystemdFiles.Variables()
            .Where(v => !ServerVariables.Reads(v.Name))
            .Select(v => $"{SystemdFiles.EnvironmentFile}:{v.Line}: {v.Name} is not a variable medallion server reads")];

        Assert.True(unknown.Length == 0, string.Join('\n', unknown));
    }

    [Fact]
    public void The_values_of_the_environment_file_read_as_the_server_s_options()
    {
        IReadOnlyList<SystemdFiles.Variable> variables = SystemdFiles.Variables();
        string[] errors = [.. ServerVariables.Errors(EnvironmentValues())
            .Select(error => variables.FirstOrDefault(v => error.StartsWith(v.Name + ":", StringComparison.Ordinal)) is { } variable
                ? $"{SystemdFiles.EnvironmentFile}:{variable.Line}: {error}"
                : $"{SystemdFiles.EnvironmentFile}: {error}")];

        Assert.True(errors.Length == 0, string.Join('\n', errors));
    }

    private static Dictionary<string, string> EnvironmentValues() =>
        SystemdFiles.Variables().Where(v => !v.Example).ToDictionary(v => v.Name, v => v.Value);
}
