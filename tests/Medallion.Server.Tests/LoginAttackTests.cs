using System.Net;
using Npgsql;

namespace Medallion.Server.Tests;

/// <summary>
/// Password guessing against the real server (issue #35, item 5): guesses sent in parallel over REST Basic are checked a
/// few at a time, each failure is in the log and in the audit with its surface, and the account's owner still gets in
/// from another address while the guessing goes on.
/// </summary>
public sealed class LoginAttackTests : IAsyncLifetime
{
    private readonly RecordingLog _log = new();
    private ServedProject _served = null!;

    public async Task InitializeAsync() => _served = await ServedProject.StartAsync(options => options with { Logs = _log });

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        _log.Dispose();
    }

    [Fact]
    public async Task Parallel_basic_guesses_are_checked_a_few_at_a_time_audited_and_logged_while_the_owner_gets_in_from_another_address()
    {
        using var attacker = new HttpClient(LoopbackClient.From(IPAddress.Parse("127.0.0.2"))) { BaseAddress = _served.Server.HttpAddress, Timeout = TimeSpan.FromMinutes(2) };
        Task<HttpResponseMessage>[] guesses = [.. Enumerable.Range(0, 64).Select(i => attacker.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/project")
        {
            Headers = { Authorization = ServedProject.Basic("ana", "guess-" + i) },
        }))];

        // The owner, from 127.0.0.1, while the 64 guesses from 127.0.0.2 are under way.
        using HttpResponseMessage owner = await _served.GetAsync("/api/project", ServedProject.Basic("ana", ServedProject.OperatorPassword));
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
        HttpResponseMessage[] answers = await Task.WhenAll(guesses);

        Assert.All(answers, answer => Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode));
        // Checks over time, from the audit: 3 free failures, then 4 places held 0.5, 1, 2, 4 s... so at most 10 checks
        // in the first 2 s, where all 64 were checked at once before.
        Assert.Equal("64", await _served.WaitForSqlAsync("SELECT count(*) FROM medallion_audit.events WHERE kind = 'login' AND channel = 'api' AND client LIKE '127.0.0.2:%'", "64"));
        string early = await _served.SqlScalarAsync(
            "SELECT count(*) FROM medallion_audit.events WHERE kind = 'login' AND \"user\" = 'ana' AND error_code = 'MDL9003' AND occurred_at < (SELECT min(occurred_at) FROM medallion_audit.events WHERE kind = 'login') + INTERVAL 2 SECOND");
        Assert.InRange(int.Parse(early, System.Globalization.CultureInfo.InvariantCulture), 1, 10);
        Assert.Contains(_log.Lines, line => line.StartsWith("Warning: Failed login for user ana from 127.0.0.2:", StringComparison.Ordinal) && line.Contains(" over api: the user name or password is wrong", StringComparison.Ordinal));
        foreach (HttpResponseMessage answer in answers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task A_failed_SQL_login_is_in_the_audit_and_the_log_with_its_user_address_and_surface()
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_served.Server.PgPort};Username=ana;Password=guess;Database=shop;Pooling=false;Timeout=60");

        PostgresException error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());

        Assert.Equal("28P01", error.SqlState);
        Assert.Equal("ana|login|error|MDL9003|password authentication failed for user \"ana\"|true", await _served.WaitForSqlAsync(
            "SELECT concat_ws('|', \"user\", action, outcome, error_code, error_message, client LIKE '127.0.0.1:%') FROM medallion_audit.events WHERE kind = 'login' AND channel = 'sql'",
            "ana|login|error|MDL9003|password authentication failed for user \"ana\"|true"));
        Assert.Contains(_log.Lines, line => line.StartsWith("Warning: Failed login for user ana from 127.0.0.1:", StringComparison.Ordinal) && line.Contains(" over sql: password authentication failed", StringComparison.Ordinal));
    }
}
