using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks;
using Medallion.Benchmarks;
using Npgsql;

namespace Medallion.Server.Benchmarks;

/// <summary><c>medallion server</c> processes through the launcher, and the PostgreSQL catalog they share, for the benchmarks of several servers.</summary>
internal static class ServerProcesses
{
    /// <summary>Starts <c>medallion server</c> on the project (free ports, trusted loopback, <paramref name="arguments"/> added) and returns once it announced itself.</summary>
    public static async Task<Process> StartAsync(string directory, params string[] arguments)
    {
        Process server = MedallionCli.Start(["server", "--project", directory, "--http-port", "0", "--pg-port", "0", "--trust-loopback", .. arguments]);
        var started = new TaskCompletionSource();
        server.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("Medallion server for project ", StringComparison.Ordinal) == true)
            {
                started.TrySetResult();
            }
        };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        // The launcher builds the CLI first when a source changed since its last build.
        await started.Task.WaitAsync(TimeSpan.FromMinutes(10));
        return server;
    }

    /// <summary>Polls <paramref name="count"/> every 50 ms until it is positive (at most five minutes).</summary>
    public static async Task WaitAsync(string connectionString, string count)
    {
        Stopwatch waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromMinutes(5))
        {
            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand(count, connection);
                if (Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture) > 0)
                {
                    return;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("waited five minutes for: " + count);
    }

    /// <summary>The first column of the first row of <paramref name="sql"/>, as a number.</summary>
    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
