using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Medallion.Cli.Tests;

/// <summary>
/// <c>medallion user add|list|remove</c> and <c>medallion serve --project</c> over a project whose storage holds a copy
/// of the conformance table dat-basic_append (version 0: 3 rows, version 1: 5 rows) as <c>gold.basic_append</c>.
/// </summary>
public sealed partial class ServeCommandTests : IDisposable
{
    private readonly string _project = Path.Combine(Path.GetTempPath(), "medallion-serve-project-" + Guid.NewGuid().ToString("N"));

    public ServeCommandTests() => SharedConformance.CreateShopProject(_project);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_project, recursive: true);
    }

    [Fact]
    public async Task User_add_reads_the_password_from_standard_input_and_stores_only_a_scram_verifier()
    {
        Cli.Result added = await Cli.RunWithInputAsync("s3cret-pass\n", "user", "add", "analyst", "--admin", "--project", _project);

        Assert.Equal(0, added.ExitCode);
        Assert.Equal("Added user analyst.\n", added.Output);
        byte[] catalog = await File.ReadAllBytesAsync(Path.Combine(_project, ".medallion", "catalog.db"));
        string text = System.Text.Encoding.Latin1.GetString(catalog);
        Assert.DoesNotContain("s3cret-pass", text, StringComparison.Ordinal);
        Assert.Contains("SCRAM-SHA-256$4096:", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_list_shows_the_users_and_user_remove_removes_one()
    {
        await Cli.RunWithInputAsync("one\n", "user", "add", "analyst", "--admin", "--project", _project);
        await Cli.RunWithInputAsync("two\n", "user", "add", "bi", "--project", _project);

        Cli.Result listed = await Cli.RunAsync("user", "list", "--project", _project);
        Cli.Result removed = await Cli.RunAsync("user", "remove", "bi", "--project", _project);
        Cli.Result again = await Cli.RunAsync("user", "remove", "bi", "--project", _project);
        Cli.Result after = await Cli.RunAsync("user", "list", "--project", _project);

        Assert.Matches(@"\Aanalyst\t.*\nbi\t.*\n\z", listed.Output);
        Assert.Equal((0, "Removed user bi.\n"), (removed.ExitCode, removed.Output));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("there is no user bi", again.Error, StringComparison.Ordinal);
        Assert.StartsWith("analyst\t", after.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("bi\t", after.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_add_without_a_password_on_standard_input_fails()
    {
        Cli.Result result = await Cli.RunWithInputAsync(string.Empty, "user", "add", "analyst", "--admin", "--project", _project);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no password given", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_refuses_to_start_a_project_nobody_can_log_in_to()
    {
        Cli.Result result = await Cli.RunAsync("serve", "--project", _project, "--pg-port", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("has no users", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_project_serves_its_tables_to_catalog_users_with_time_travel_and_a_statement_timeout()
    {
        await Cli.RunWithInputAsync("s3cret-pass\n", "user", "add", "analyst", "--admin", "--project", _project);
        // The timeout covers every statement, Npgsql's own type queries at login too, which take seconds on a busy machine.
        await ServeAsync(["--statement-timeout", "10s", "--memory-limit", "1GB"], async (port, _) =>
        {
            await using NpgsqlConnection connection = await OpenAsync(port);

            await using var latest = new NpgsqlCommand("SELECT count(*) FROM gold.basic_append", connection);
            await using var first = new NpgsqlCommand("SELECT count(*) FROM gold.basic_append AT (VERSION => 0)", connection);
            await using var slow = new NpgsqlCommand("SELECT count(*) FROM range(100000000000)", connection);
            Assert.Equal(5L, await latest.ExecuteScalarAsync());
            Assert.Equal(3L, await first.ExecuteScalarAsync());
            Assert.Equal("57014", (await Assert.ThrowsAsync<PostgresException>(() => slow.ExecuteScalarAsync())).SqlState);
        });
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task User_add_creates_the_catalog_readable_by_its_owner_only()
    {
        await Cli.RunWithInputAsync("s3cret-pass\n", "user", "add", "analyst", "--admin", "--project", _project);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_project, ".medallion", "catalog.db")));
    }

    [Fact]
    public async Task Serve_on_every_interface_without_TLS_warns_that_queries_cross_the_network_in_clear()
    {
        await Cli.RunWithInputAsync("s3cret-pass\n", "user", "add", "analyst", "--admin", "--project", _project);
        await ServeAsync(["--host", "0.0.0.0"], (_, error) =>
        {
            Assert.Equal(
                "warning: serving on 0.0.0.0 without TLS: anyone on the network can read the queries and results. Help: pass --tls-cert and --tls-key (and --require-tls to refuse unencrypted clients), or serve on 127.0.0.1.\n",
                error.ToString());
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Serve_on_loopback_does_not_warn_about_TLS()
    {
        await Cli.RunWithInputAsync("s3cret-pass\n", "user", "add", "analyst", "--admin", "--project", _project);
        await ServeAsync([], (_, error) =>
        {
            Assert.Equal(string.Empty, error.ToString());
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Serve_require_tls_without_a_certificate_is_a_usage_error()
    {
        Cli.Result result = await Cli.RunAsync("serve", "--project", _project, "--pg-port", "0", "--trust-loopback", "--require-tls");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("Error MDL1101: --require-tls needs a certificate to offer TLS with. Help: pass --tls-cert <file.pem> --tls-key <key.pem>.\n", result.Error);
    }

    [Fact]
    public async Task Serve_refuses_the_client_beyond_max_connections_with_53300()
    {
        await Cli.RunWithInputAsync("s3cret-pass\n", "user", "add", "analyst", "--admin", "--project", _project);
        await ServeAsync(["--max-connections", "1"], async (port, _) =>
        {
            await using NpgsqlConnection first = await OpenAsync(port);

            PostgresException refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(port));

            Assert.Equal(("53300", "sorry, too many clients already"), (refused.SqlState, refused.MessageText));
        });
    }

    [Fact]
    public async Task Serve_max_connections_below_one_is_a_usage_error()
    {
        Cli.Result result = await Cli.RunAsync("serve", "--project", _project, "--pg-port", "0", "--trust-loopback", "--max-connections", "0");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("Error MDL1101: --max-connections 0 lets nobody in. Help: give a number of at least 1 (default 100).\n", result.Error);
    }

    /// <summary>Runs <c>serve --project</c> on a free port with <paramref name="arguments"/>, calls <paramref name="whileServing"/> with the port and the error output, then stops it with Ctrl+C.</summary>
    private async Task ServeAsync(string[] arguments, Func<int, StringWriter, Task> whileServing)
    {
        using var output = new StringWriter { NewLine = "\n" };
        using var error = new StringWriter { NewLine = "\n" };
        using var stop = new CancellationTokenSource();
        Task<int> serving = MedallionCli.RunAsync(["serve", "--project", _project, "--pg-port", "0", .. arguments], TextWriter.Synchronized(output), TextWriter.Synchronized(error), cancellationToken: stop.Token);
        try
        {
            int port = await WaitForPortAsync(output, error, serving);
            await whileServing(port, error);
        }
        finally
        {
            await stop.CancelAsync();
        }

        Assert.Equal(0, await serving);
    }

    private static async Task<NpgsqlConnection> OpenAsync(int port)
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=analyst;Password=s3cret-pass;Database=shop;Pooling=false;Timeout=15");
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<int> WaitForPortAsync(StringWriter output, StringWriter error, Task<int> serving)
    {
        for (int attempt = 0; attempt < 600; attempt++)
        {
            Match match = ServingOn().Match(output.ToString());
            if (match.Success)
            {
                return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }

            if (serving.IsCompleted)
            {
                throw new InvalidOperationException($"serve exited with {await serving}: {error}");
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("serve did not start: " + output + error);
    }

    [GeneratedRegex(@"on \d+\.\d+\.\d+\.\d+:(\d+)")]
    private static partial Regex ServingOn();
}
