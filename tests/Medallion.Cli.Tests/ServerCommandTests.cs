using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion server</c> as a child process, and the users and tokens its REST API lets in.</summary>
public sealed partial class ServerCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-server-cli-" + Guid.NewGuid().ToString("N"));

    public ServerCommandTests() => SharedConformance.CreateShopProject(_project);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_project, recursive: true);
    }

    [Fact]
    public async Task Sigterm_stops_the_server_with_exit_code_zero_and_removes_its_runtime_file()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "analyst", "--project", _project);
        using ServerProcess server = await ServerProcess.StartAsync(_project, "--grace", "5s");
        bool runtimeFileWhileRunning = File.Exists(Path.Combine(_project, ".medallion", "server.json"));

        int exitCode = await server.TerminateAsync();

        Assert.True(runtimeFileWhileRunning);
        Assert.True(exitCode == 0, server.Printed);
        Assert.Equal("Stopped.", server.Output.Last());
        Assert.False(File.Exists(Path.Combine(_project, ".medallion", "server.json")));
    }

    [Fact]
    public async Task A_project_without_users_starts_its_server_which_adds_the_first_admin()
    {
        using ServerProcess server = await ServerProcess.StartAsync(_project, "--grace", "5s");

        Assert.Contains(server.Output, line => line.Contains("this first start created the operator 'admin'", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(_project, ".medallion", "admin-password")));
        Assert.Equal(0, await server.TerminateAsync());
    }

    [Fact]
    public async Task Server_outside_a_project_says_so()
    {
        string empty = Directory.CreateTempSubdirectory("medallion-no-project-").FullName;

        Cli.Result result = await Cli.RunAsync("server", "--project", empty);

        Directory.Delete(empty);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"Error MDL6002: {empty} is not a Medallion project (no medallion.yml).", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_refuses_a_grace_period_that_is_not_a_duration()
    {
        Cli.Result result = await Cli.RunAsync("server", "--project", _project, "--grace", "soon", "--trust-loopback");

        Assert.Equal((2, "Error MDL1101: --grace 'soon' is not a duration. Help: write it like 30s, 2min or 500ms.\nHelp: medallion server --help\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task Server_refuses_a_scheduler_lease_shorter_than_a_second()
    {
        Cli.Result result = await Cli.RunAsync("server", "--project", _project, "--scheduler-lease", "200ms", "--trust-loopback");

        Assert.Equal((2, "Error MDL1101: --scheduler-lease '200ms' is not a duration of at least 1s. Help: write it like 30s or 2min.\nHelp: medallion server --help\n"), (result.ExitCode, result.Error));
    }

    [Fact]
    public async Task User_role_makes_a_viewer_an_operator_and_user_list_shows_it()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "analyst", "--project", _project);

        Cli.Result before = await Cli.RunAsync("user", "list", "--project", _project);
        Cli.Result changed = await Cli.RunAsync("user", "role", "analyst", "operator", "--project", _project);
        Cli.Result after = await Cli.RunAsync("user", "list", "--project", _project);

        Assert.StartsWith("analyst\tviewer\t", before.Output, StringComparison.Ordinal);
        Assert.Equal((0, "User analyst is now operator.\n"), (changed.ExitCode, changed.Output));
        Assert.StartsWith("analyst\toperator\t", after.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_create_prints_the_secret_once_and_token_list_never_shows_it()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "analyst", "--project", _project);

        Cli.Result created = await Cli.RunAsync("token", "create", "--user", "analyst", "--expires", "90d", "--project", _project);
        Cli.Result listed = await Cli.RunAsync("token", "list", "--project", _project);

        Assert.Equal(0, created.ExitCode);
        Match secret = TokenSecret().Match(created.Output);
        Assert.True(secret.Success, created.Output);
        Assert.Matches(@"\ACreated token [0-9a-f]{12} for analyst, expiring \d{4}-\d\d-\d\d \d\d:\d\dZ\. Keep the secret below: it is not shown again\.\n\z", created.Error);
        Assert.StartsWith(secret.Groups[1].Value + "\tanalyst\tcreated ", listed.Output, StringComparison.Ordinal);
        Assert.Contains("\tnever used", listed.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret.Value, listed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_revoke_twice_says_the_second_time_that_there_is_no_such_token()
    {
        await Cli.RunWithInputAsync("pw\n", "user", "add", "analyst", "--project", _project);
        Cli.Result created = await Cli.RunAsync("token", "create", "--user", "analyst", "--project", _project);
        string id = TokenSecret().Match(created.Output).Groups[1].Value;

        Cli.Result revoked = await Cli.RunAsync("token", "revoke", id, "--project", _project);
        Cli.Result again = await Cli.RunAsync("token", "revoke", id, "--project", _project);

        Assert.Equal((0, $"Revoked token {id}.\n"), (revoked.ExitCode, revoked.Output));
        Assert.Equal((1, $"Error MDL6903: there is no unrevoked token {id}.\nHelp: 'medallion token list' shows the tokens.\n"), (again.ExitCode, again.Error));
    }

    [Fact]
    public async Task Token_create_for_a_user_that_does_not_exist_fails_naming_the_user()
    {
        Cli.Result result = await Cli.RunAsync("token", "create", "--user", "ghost", "--project", _project);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("There is no user 'ghost' to create a token for.", result.Error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\Amdl_([0-9a-f]{12})_[A-Za-z0-9_-]{43}\n\z")]
    private static partial Regex TokenSecret();
}
