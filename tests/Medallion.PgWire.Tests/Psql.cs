namespace Medallion.PgWire.Tests;

/// <summary>Runs the real psql client against a server on this machine.</summary>
internal static class Psql
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(PgWireFixture fixture, params string[] arguments) =>
        await RunAsync(fixture.Port, PgWireFixture.User, PgWireFixture.Password, "medallion", arguments);

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(int port, string user, string password, string database, params string[] arguments)
    {
        string[] all = ["-X", "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", .. arguments];
        var environment = new Dictionary<string, string>
        {
            ["PGPASSWORD"] = password,
            ["PGCONNECT_TIMEOUT"] = "10",
            ["PAGER"] = string.Empty,
        };
        ClientProcess.Result result = await ClientProcess.RunAsync("psql", all, environment, timeoutSeconds: 60);
        return (result.ExitCode, result.Output, result.Error);
    }
}
