using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Medallion.Cli.Commands;
using Microsoft.Data.Sqlite;

namespace Medallion.Cli.Tests;

/// <summary><c>medallion server</c> configured through environment variables (<c>MEDALLION_*</c>), as a container or a systemd unit runs it.</summary>
public sealed class ServerEnvironmentTests : IDisposable
{
    private const string Password = "correct-horse-battery";
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-server-env-" + Guid.NewGuid().ToString("N"));

    public ServerEnvironmentTests() => SharedConformance.CreateShopProject(_project);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_project, recursive: true);
    }

    [Fact]
    public async Task A_port_given_in_the_environment_is_the_one_the_server_listens_on()
    {
        int port = FreePort();

        using ServerProcess server = await ServerProcess.StartWithEnvironmentAsync(_project, Variables(("MEDALLION_HTTP_PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture))));

        Assert.Equal(port, server.Api.Port);
        Assert.Equal(0, await server.TerminateAsync());
    }

    [Fact]
    public void The_command_line_wins_over_the_environment()
    {
        System.CommandLine.RootCommand root = MedallionCli.BuildRoot(TextWriter.Null, TextWriter.Null);

        string[] args = ["server", "--http-port", "9001"];
        ParseResult parsed = EnvironmentOptions.WithEnvironment(root, root.Parse(args), args, name => name == "MEDALLION_HTTP_PORT" ? "9002" : null);

        Assert.Empty(parsed.Errors);
        Assert.Equal(9001, parsed.GetValue<int>("--http-port"));
    }

    [Theory]
    [InlineData("MEDALLION_HTTP_PORT", "abc", "MEDALLION_HTTP_PORT: 'abc' is not a number.")]
    [InlineData("MEDALLION_TRUST_LOOPBACK", "yes", "MEDALLION_TRUST_LOOPBACK: 'yes' is not a boolean. Help: write true, false, 1 or 0 (or unset it).")]
    [InlineData("MEDALLION_GRACE", "soon", "MEDALLION_GRACE: --grace 'soon' is not a duration.")]
    [InlineData("MEDALLION_ROLE", "planner", "MEDALLION_ROLE: Argument 'planner' not recognized.")]
    public async Task A_bad_value_in_the_environment_is_an_error_naming_the_variable(string variable, string value, string expected)
    {
        Cli.Result result = await RunServerAsync((variable, value));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("Error MDL", result.Error, StringComparison.Ordinal);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_admin_signs_in_with_the_password_of_the_password_file()
    {
        string file = WritePasswordFile(Password + "\n");
        using ServerProcess server = await ServerProcess.StartWithEnvironmentAsync(_project, Variables(("MEDALLION_ADMIN_PASSWORD_FILE", file)));

        using var client = new HttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"admin:{Password}")));
        using HttpResponseMessage users = await client.GetAsync(new Uri(server.Api, "api/users"));

        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        Assert.Equal(0, await server.TerminateAsync());
    }

    [Fact]
    public async Task The_password_of_the_password_file_is_neither_printed_nor_written_into_the_project()
    {
        string file = WritePasswordFile(Password + "\n");
        using ServerProcess server = await ServerProcess.StartWithEnvironmentAsync(_project, Variables(("MEDALLION_ADMIN_PASSWORD_FILE", file)));

        Assert.Equal(0, await server.TerminateAsync());
        Assert.Contains(server.Output, line => line.Contains($"created the operator 'admin' with the password in {file}.", StringComparison.Ordinal));
        Assert.DoesNotContain(Password, server.Printed, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_project, ".medallion", "admin-password")));
    }

    [Fact]
    public async Task An_empty_password_file_is_an_error_naming_the_file()
    {
        string file = WritePasswordFile("\n");

        Cli.Result result = await RunServerAsync(("MEDALLION_ADMIN_PASSWORD_FILE", file));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--admin-password-file (or MEDALLION_ADMIN_PASSWORD_FILE) names {file}, which is empty.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_file_that_cannot_be_read_is_an_error_naming_the_file()
    {
        string file = Path.Combine(_project, "secrets", "missing");

        Cli.Result result = await RunServerAsync(("MEDALLION_ADMIN_PASSWORD_FILE", file));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--admin-password-file (or MEDALLION_ADMIN_PASSWORD_FILE) names {file}, which cannot be read: ", result.Error, StringComparison.Ordinal);
    }

    /// <summary>The variables every server of these tests gets besides the one under test: free ports, loopback trusted.</summary>
    private static Dictionary<string, string> Variables(params (string Name, string Value)[] variables)
    {
        var all = new Dictionary<string, string> { ["MEDALLION_HTTP_PORT"] = "0", ["MEDALLION_PG_PORT"] = "0", ["MEDALLION_TRUST_LOOPBACK"] = "1", ["MEDALLION_GRACE"] = "5s" };
        foreach ((string name, string value) in variables)
        {
            all[name] = value;
        }

        return all;
    }

    /// <summary>Runs <c>medallion server</c> in this process with only <c>--project</c> on its command line.</summary>
    private Task<Cli.Result> RunServerAsync(params (string Name, string Value)[] variables)
    {
        Dictionary<string, string> all = Variables(variables);
        return Cli.RunWithEnvironmentAsync(name => all.GetValueOrDefault(name), "server", "--project", _project);
    }

    /// <summary>A file in the project (deleted with it) holding <paramref name="text"/>.</summary>
    private string WritePasswordFile(string text)
    {
        string file = Path.Combine(_project, "secrets", "admin-password");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, text);
        return file;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
