using System.Diagnostics;
using System.Net;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// What a client without a password can make the server do (issue #23, finding 5): hold at most 64 KiB, for at most the
/// authentication timeout, in one of a bounded number of places; and guess passwords only ever more slowly.
/// Each test starts its own server (user <c>analyst</c>, password <c>s3cret-pass</c>) with the options it examines.
/// </summary>
public sealed class UnauthenticatedClientTests : IAsyncLifetime
{
    private const string User = "analyst";
    private const string Password = "s3cret-pass";
    private const string OtherUser = "other";

    private readonly DuckDbDatabase _database = DuckDbDatabase.Open();
    private readonly List<PgWireServer> _servers = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (PgWireServer server in _servers)
        {
            await server.DisposeAsync();
        }

        _database.Dispose();
    }

    [Fact]
    public async Task An_oversized_password_message_is_refused_with_08P01_from_its_header_alone()
    {
        PgWireServer server = await StartAsync(options => options with { MaxMessageBytes = 16 * 1024 * 1024 });
        await using RawClient client = await RawClient.ConnectAsync(server.Port);
        await client.SendStartupAsync(3 << 16, ("user", User), ("database", "medallion"));
        Assert.Equal('R', (await client.ReadAsync())!.Value.Type);

        // Only the header of a 16 MB password message: a server that waited for its body would never answer.
        await client.SendRawAsync([(byte)'p', .. RawClient.BigEndian((16 * 1024 * 1024) - 1)]);
        (char Type, byte[] Body)? error = await client.ReadAsync(TimeSpan.FromSeconds(5));

        Assert.Equal('E', error!.Value.Type);
        Assert.Equal("FATAL", RawClient.Field(error.Value.Body, 'S'));
        Assert.Equal("08P01", RawClient.SqlState(error.Value.Body));
        Assert.Equal("message of type 'p' is 16777215 bytes, above the server's limit of 65535 bytes before authentication", RawClient.Field(error.Value.Body, 'M'));
        Assert.Null(await client.ReadAsync(TimeSpan.FromSeconds(5)));
        await AssertServesAsync(server);
    }

    [Fact]
    public async Task An_authenticated_client_may_still_send_messages_up_to_the_configured_limit()
    {
        PgWireServer server = await StartAsync(options => options with { MaxMessageBytes = 1024 * 1024 });
        await using NpgsqlConnection connection = await OpenAsync(server);
        string large = new('x', 200_000);
        await using var command = new NpgsqlCommand($"SELECT length('{large}')", connection);

        Assert.Equal(200_000L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Connections_beyond_max_connections_are_refused_with_53300_until_one_closes()
    {
        PgWireServer server = await StartAsync(options => options with { MaxConnections = 2 });
        await using NpgsqlConnection first = await OpenAsync(server);
        await using NpgsqlConnection second = await OpenAsync(server);

        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(server));
        await first.CloseAsync();
        await WaitForConnectionCountAsync(server, 1);
        await using NpgsqlConnection third = await OpenAsync(server);

        Assert.Equal(("FATAL", "53300", "sorry, too many clients already"), (refused.Severity, refused.SqlState, refused.MessageText));
        Assert.Equal(2, server.ConnectionCount);
    }

    [Fact]
    public async Task Idle_sockets_beyond_the_startup_places_wait_their_turn_without_taking_the_places_of_sessions()
    {
        PgWireServer server = await StartAsync(options => options with { MaxConnections = 4, MaxStartups = 2 });
        await using NpgsqlConnection session = await OpenAsync(server);
        await using RawClient idle1 = await RawClient.ConnectAsync(server.Port);
        await using RawClient idle2 = await RawClient.ConnectAsync(server.Port);
        await WaitForAsync(() => server.StartupCount == 2, "two idle sockets logging in");

        Task<NpgsqlConnection> waiting = OpenAsync(server);
        await WaitForAsync(() => server.WaitingCount == 1, "the login waiting its turn");
        Assert.False(waiting.IsCompleted);
        idle1.Close();

        await using NpgsqlConnection second = await waiting.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(3, server.ConnectionCount);
    }

    [Fact]
    public async Task A_flood_of_idle_sockets_from_one_address_does_not_keep_another_address_out_and_is_named_in_the_log()
    {
        using var log = new RecordingLog();
        PgWireServer server = await StartAsync(options => options with { LoggerFactory = log });
        using var flooding = new CancellationTokenSource();
        // 110 sockets from 127.0.0.2 that send nothing and connect again as soon as they are dropped.
        Task[] flood = [.. Enumerable.Range(0, 110).Select(_ => FloodAsync(server.Port, IPAddress.Parse("127.0.0.2"), flooding.Token))];
        try
        {
            await WaitForAsync(() => log.Lines.Any(line => line.Contains("Refused a connection from 127.0.0.2", StringComparison.Ordinal)), "the flooding address in the log");
            for (int i = 0; i < 5; i++)
            {
                await AssertServesAsync(server);
            }

            Assert.InRange(server.StartupCount, 0, server.Options.MaxStartupsPerAddress + 1);
        }
        finally
        {
            await flooding.CancelAsync();
            await Task.WhenAll(flood);
        }

        string line = Assert.Single(log.Lines, l => l.Contains("Refused a connection from 127.0.0.2", StringComparison.Ordinal));
        Assert.StartsWith("Warning: Refused a connection from 127.0.0.2: 10 connections from 127.0.0.2 are logging in and 50 more wait their turn (max startups per address)", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parallel_password_guesses_are_checked_a_few_at_a_time_and_the_right_password_still_works()
    {
        var checkedAt = new List<TimeSpan>();
        Stopwatch clock = Stopwatch.StartNew();
        var guard = new LoginGuard(new LoginGuardOptions
        {
            FailedLoginDelay = TimeSpan.FromSeconds(5),
            MaxFailedLoginDelay = TimeSpan.FromSeconds(5),
            MaxWait = TimeSpan.FromSeconds(3),
            Failed = (failure, _) =>
            {
                lock (checkedAt)
                {
                    if (!failure.Throttled)
                    {
                        checkedAt.Add(clock.Elapsed);
                    }
                }

                return ValueTask.CompletedTask;
            },
        });
        PgWireServer server = await StartAsync(options => options with { Logins = guard, AuthenticationTimeout = TimeSpan.FromSeconds(20) });

        PostgresException[] answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Assert.ThrowsAsync<PostgresException>(() => OpenAsync(server, password: "guess-" + i))));

        // 3 free failures, then one guess per place (4 per address) per 5 s: at most 7 checks in the first 4 s, where
        // 40 guesses in parallel were all checked at once before.
        int early;
        lock (checkedAt)
        {
            early = checkedAt.Count(at => at < TimeSpan.FromSeconds(4));
        }

        Assert.InRange(early, 1, 3 + guard.Options.AttemptsPerAddress);
        Assert.Contains(answers, a => a.SqlState == "28P01");
        Assert.All(answers.Where(a => a.SqlState != "28P01"), a => Assert.Equal(("53300", "too many logins in progress from 127.0.0.1 or for user \"analyst\"; try again in a few seconds"), (a.SqlState, a.MessageText)));
        await AssertServesAsync(server);
    }

    [Fact]
    public async Task A_user_at_its_session_cap_is_refused_with_53300_naming_the_cap_while_another_user_gets_in()
    {
        PgWireServer server = await StartAsync(options => options with { MaxSessionsPerUser = 2 });
        await using NpgsqlConnection first = await OpenAsync(server);
        await using NpgsqlConnection second = await OpenAsync(server);

        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(server));
        await using NpgsqlConnection other = await OpenAsync(server, user: OtherUser);
        await first.CloseAsync();
        await WaitForConnectionCountAsync(server, 2);
        await using NpgsqlConnection again = await OpenAsync(server);

        Assert.Equal(("FATAL", "53300", "too many connections for user \"analyst\": at most 2 sessions per user"), (refused.Severity, refused.SqlState, refused.MessageText));
    }

    [Fact]
    public async Task The_places_kept_for_admins_let_an_admin_in_when_other_users_fill_the_rest()
    {
        PgWireServer server = await StartAsync(options => options with { MaxConnections = 3, ReservedConnections = 1, UserStore = new AdminStore(OtherUser) });
        await using NpgsqlConnection first = await OpenAsync(server);
        await using NpgsqlConnection second = await OpenAsync(server);

        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(server));
        await using NpgsqlConnection admin = await OpenAsync(server, user: OtherUser);

        Assert.Equal(("53300", "remaining connection slots are reserved for admins (1 of 3)"), (refused.SqlState, refused.MessageText));
    }

    [Fact]
    public async Task Sockets_beyond_the_places_kept_for_refusals_are_answered_with_53300_at_once_and_closed()
    {
        PgWireServer server = await StartAsync(options => options with { MaxConnections = 1 });
        var idle = new List<RawClient>();
        try
        {
            for (int i = 0; i < 1 + server.RefusalSlots; i++)
            {
                idle.Add(await RawClient.ConnectAsync(server.Port));
            }

            await WaitForConnectionCountAsync(server, 1 + server.RefusalSlots);
            await using RawClient extra = await RawClient.ConnectAsync(server.Port);

            // The extra socket sent nothing and still gets its answer: the server did not wait for a startup packet.
            (char Type, byte[] Body)? error = await extra.ReadAsync(TimeSpan.FromSeconds(5));
            Assert.Equal('E', error!.Value.Type);
            Assert.Equal("53300", RawClient.SqlState(error.Value.Body));
            Assert.Equal("sorry, too many clients already", RawClient.Field(error.Value.Body, 'M'));
            Assert.Null(await extra.ReadAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal(1 + server.RefusalSlots, server.ConnectionCount);
        }
        finally
        {
            foreach (RawClient client in idle)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_idle_socket_without_a_startup_packet_is_closed_after_the_authentication_timeout()
    {
        PgWireServer server = await StartAsync(options => options with { AuthenticationTimeout = TimeSpan.FromSeconds(1) });
        await using RawClient idle = await RawClient.ConnectAsync(server.Port);
        Stopwatch elapsed = Stopwatch.StartNew();

        Assert.Null(await idle.ReadAsync(TimeSpan.FromSeconds(10)));

        Assert.InRange(elapsed.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(10));
        await WaitForConnectionCountAsync(server, 0);
    }

    [Fact]
    public async Task A_client_that_stops_in_the_middle_of_authentication_is_closed_after_the_timeout()
    {
        PgWireServer server = await StartAsync(options => options with { AuthenticationTimeout = TimeSpan.FromSeconds(1) });
        await using RawClient client = await RawClient.ConnectAsync(server.Port);
        await client.SendStartupAsync(3 << 16, ("user", User));
        Assert.Equal('R', (await client.ReadAsync())!.Value.Type);
        await client.SendRawAsync([(byte)'p', .. RawClient.BigEndian(1000), .. new byte[10]]);

        Assert.Null(await client.ReadAsync(TimeSpan.FromSeconds(10)));
        await WaitForConnectionCountAsync(server, 0);
    }

    [Fact]
    public async Task Repeated_failed_logins_from_one_address_are_answered_later_and_later()
    {
        var delay = TimeSpan.FromMilliseconds(400);
        PgWireServer server = await StartAsync(options => options with { Logins = new LoginGuard(new LoginGuardOptions { FailedLoginDelay = delay, MaxFailedLoginDelay = TimeSpan.FromSeconds(5) }) });
        var durations = new List<TimeSpan>();
        for (int attempt = 1; attempt <= 5; attempt++)
        {
            Stopwatch elapsed = Stopwatch.StartNew();
            PostgresException error = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(server, password: "guess-" + attempt));
            durations.Add(elapsed.Elapsed);
            Assert.Equal("28P01", error.SqlState);
        }

        // Three failures are free; the fourth waits the delay, the fifth twice as long.
        Assert.True(durations[3] >= delay, $"the 4th failure took {durations[3]}");
        Assert.True(durations[4] >= 2 * delay, $"the 5th failure took {durations[4]}");
    }

    [Fact]
    public async Task The_right_password_is_not_delayed_by_earlier_failures_from_the_same_address()
    {
        // The delay is long enough that a SCRAM login on a loaded 2-core machine (seen at 4 s) cannot be taken for it.
        TimeSpan delay = TimeSpan.FromSeconds(10);
        PgWireServer server = await StartAsync(options => options with { Logins = new LoginGuard(new LoginGuardOptions { FailedLoginDelay = delay, MaxFailedLoginDelay = delay }), AuthenticationTimeout = 3 * delay });
        for (int attempt = 1; attempt <= 4; attempt++)
        {
            await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(server, password: "guess-" + attempt));
        }

        Stopwatch elapsed = Stopwatch.StartNew();
        await using NpgsqlConnection connection = await OpenAsync(server);

        Assert.True(elapsed.Elapsed < delay, $"the login took {elapsed.Elapsed}");
    }

    [Fact]
    public async Task A_repeated_SSL_request_is_refused_as_an_unknown_protocol_version()
    {
        PgWireServer server = await StartAsync();
        await using RawClient client = await RawClient.ConnectAsync(server.Port);
        byte[] sslRequest = [.. RawClient.BigEndian(8), .. RawClient.BigEndian(80877103)];

        await client.SendRawAsync(sslRequest);
        Assert.Equal((byte)'N', await client.ReadByteAsync());
        await client.SendRawAsync(sslRequest);
        (char Type, byte[] Body)? error = await client.ReadAsync(TimeSpan.FromSeconds(5));

        Assert.Equal('E', error!.Value.Type);
        Assert.Equal("unsupported frontend protocol 1234.5679: server supports 3.0 to 3.0", RawClient.Field(error.Value.Body, 'M'));
        Assert.Null(await client.ReadAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Random_and_truncated_startup_and_password_messages_end_in_a_close_or_a_fatal_error()
    {
        PgWireServer server = await StartAsync(options => options with { AuthenticationTimeout = TimeSpan.FromSeconds(1) });
        var random = new Random(23);
        byte[][] cases = [.. Enumerable.Range(0, 240).Select(i => StartupPhaseGarbage(i, random))];

        // In batches of 40 at once: a case the server waits on ends by the authentication timeout, not one by one.
        foreach (byte[][] batch in cases.Chunk(40))
        {
            await Task.WhenAll(batch.Select(payload => SendAndExpectTheEndAsync(server.Port, payload)));
        }

        await WaitForConnectionCountAsync(server, 0);
        await AssertServesAsync(server);
    }

    /// <summary>Sends one garbage startup-phase payload and reads until the server closes; any error must be FATAL.</summary>
    private static async Task SendAndExpectTheEndAsync(int port, byte[] payload)
    {
        await using RawClient client = await RawClient.ConnectAsync(port);
        await client.SendRawAsync(payload);
        while (await client.ReadAsync(TimeSpan.FromSeconds(15)) is { } message)
        {
            Assert.True(message.Type is 'R' or 'E', $"unexpected message '{message.Type}' before authentication");
            if (message.Type == 'E')
            {
                Assert.Equal("FATAL", RawClient.Field(message.Body, 'S'));
            }
        }
    }

    private static byte[] StartupPhaseGarbage(int index, Random random)
    {
        byte[] startup = [.. Startup(("user", User), ("database", "medallion"))];
        return (index % 6) switch
        {
            // Random bytes where a startup packet belongs.
            0 => RandomBytes(random, random.Next(1, 64)),
            // A startup length anywhere from negative to over the 10,000-byte limit, with a random body.
            1 => [.. RawClient.BigEndian(random.Next(-10, 20_000)), .. RandomBytes(random, random.Next(0, 200))],
            // A valid startup packet cut short.
            2 => startup[..random.Next(1, startup.Length)],
            // A startup packet whose parameters are random bytes (no terminator, odd encodings).
            3 => Startup(random),
            // A valid startup, then a password message of random length and body (up to past the 64 KiB limit).
            4 => [.. startup, (byte)'p', .. RawClient.BigEndian(random.Next(-4, 70_000)), .. RandomBytes(random, random.Next(0, 300))],
            // A valid startup, then a message of a random type where the password belongs.
            _ => [.. startup, (byte)"QPBSXpdE"[random.Next(8)], .. RawClient.BigEndian(random.Next(4, 40)), .. RandomBytes(random, random.Next(0, 40))],
        };
    }

    private static byte[] Startup(params (string Name, string Value)[] parameters)
    {
        var body = new List<byte>(RawClient.BigEndian(3 << 16));
        foreach ((string name, string value) in parameters)
        {
            body.AddRange(RawClient.CString(name));
            body.AddRange(RawClient.CString(value));
        }

        body.Add(0);
        return [.. RawClient.BigEndian(body.Count + 4), .. body];
    }

    private static byte[] Startup(Random random)
    {
        byte[] parameters = RandomBytes(random, random.Next(0, 100));
        return [.. RawClient.BigEndian(parameters.Length + 8), .. RawClient.BigEndian(3 << 16), .. parameters];
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        byte[] bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private async Task<PgWireServer> StartAsync(Func<PgWireServerOptions, PgWireServerOptions>? configure = null)
    {
        var options = new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = new LakehouseSessionFactory(_database, NoTables.Instance),
            UserStore = Users(),
        };
        var server = new PgWireServer(configure is null ? options : configure(options));
        _servers.Add(server);
        await server.StartAsync();
        return server;
    }

    private static PgUserStore Users()
    {
        var users = new PgUserStore();
        users.AddUser(User, Password);
        users.AddUser(OtherUser, Password);
        return users;
    }

    private static async Task<NpgsqlConnection> OpenAsync(PgWireServer server, string password = Password, string user = User)
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Username={user};Password={password};Database=medallion;Pooling=false;Timeout=60");
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

    private static async Task AssertServesAsync(PgWireServer server)
    {
        await using NpgsqlConnection connection = await OpenAsync(server);
        await using var command = new NpgsqlCommand("SELECT 42", connection);
        Assert.Equal(42, await command.ExecuteScalarAsync());
    }

    /// <summary>Holds one socket from <paramref name="from"/> that sends nothing, connecting again whenever it is dropped.</summary>
    private static async Task FloodAsync(int port, IPAddress from, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using RawClient idle = await RawClient.ConnectAsync(port, from);
                await idle.ReadAsync(TimeSpan.FromSeconds(60)).WaitAsync(stop);
            }
            catch (Exception error) when (error is OperationCanceledException or System.Net.Sockets.SocketException or IOException)
            {
                // Stopped, or refused: connect again.
            }
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), $"waited 60 s for {what}");
    }

    /// <summary>The in-memory users, one of them an admin (the catalog's store says so from its users' records).</summary>
    private sealed class AdminStore(string admin) : IPgUserStore
    {
        private readonly PgUserStore _users = Users();

        public ValueTask<string?> FindScramVerifierAsync(string user, CancellationToken cancellationToken = default) => _users.FindScramVerifierAsync(user, cancellationToken);

        public ValueTask<bool> IsAdminAsync(string user, CancellationToken cancellationToken = default) => ValueTask.FromResult(user == admin);
    }

    private static async Task WaitForConnectionCountAsync(PgWireServer server, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (server.ConnectionCount != count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(count, server.ConnectionCount);
    }
}
