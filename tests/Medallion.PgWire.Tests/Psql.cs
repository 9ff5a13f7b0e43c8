using System.Diagnostics;

namespace Medallion.PgWire.Tests;

/// <summary>Runs the real psql client against the fixture's server.</summary>
internal static class Psql
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(PgWireFixture fixture, params string[] arguments)
    {
        var start = new ProcessStartInfo("psql")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["-X", "-h", "127.0.0.1", "-p", fixture.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", PgWireFixture.User, "-d", "medallion", "-v", "ON_ERROR_STOP=1", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGPASSWORD"] = PgWireFixture.Password;
        start.Environment["PGCONNECT_TIMEOUT"] = "10";
        start.Environment["PAGER"] = string.Empty;
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
