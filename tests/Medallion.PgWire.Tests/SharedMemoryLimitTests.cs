using System.Net;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.Platform.Access;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>
/// A server whose queries may use 1 GB in all (<c>--memory-limit 1GB</c>) and whose users are under access policies, so
/// each gets a database of their own: the limit still bounds every user's queries together (issue 35).
/// </summary>
public sealed class SharedMemoryLimitTests : IAsyncLifetime
{
    private const string Password = "s3cret-pass";

    /// <summary>A list of 30M BIGINTs, built in one aggregate that cannot spill: about 530 MB at its peak, half the limit.</summary>
    private const string HalfTheLimit = "SELECT len(l) FROM (SELECT list(range) l FROM range(30000000))";

    private static readonly string[] s_users = ["ana", "bia", "caio"];

    private readonly string _directory = Directory.CreateTempSubdirectory("medallion-pgwire-shared-memory-").FullName;
    private CatalogStore? _catalog;
    private DuckDbDatabase? _database;
    private LakehouseSessionFactory? _sessions;
    private PgWireServer? _server;

    public async Task InitializeAsync()
    {
        _catalog = await CatalogStore.OpenAsync(CatalogStore.DefaultPath(_directory));
        foreach (string user in s_users)
        {
            // Not an admin: each reads through a database of their own, even with nothing granted.
            await _catalog.Identity.SetUserAsync(user, PgUserStore.CreateScramVerifier(Password));
        }

        _database = DuckDbEngines.Default.OpenServing(null, [_directory], memoryLimit: "1GB");
        _sessions = new LakehouseSessionFactory(_database, NoTables.Instance) { Access = new CatalogSessionAccess(_catalog).ForUserAsync };
        _server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = _sessions,
            UserStore = new CatalogUserStore(_catalog),
        });
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _sessions?.Dispose();
        _database?.Dispose();
        if (_catalog is not null)
        {
            await _catalog.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private NpgsqlConnection Open(string user)
    {
        var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={_server!.Port};Username={user};Password={Password};Database=medallion;Pooling=false;Command Timeout=120");
        connection.Open();
        return connection;
    }

    [Fact]
    public void A_user_alone_on_the_server_may_use_nearly_the_whole_limit()
    {
        using NpgsqlConnection connection = Open("ana");

        Assert.Equal(30_000_000L, new NpgsqlCommand(HalfTheLimit, connection).ExecuteScalar());
    }

    /// <summary>
    /// Without the shared limit each user's database had 1 GB and all three ran. Npgsql closes a connection that reports
    /// 53xxx, so a user's share grows as the others leave: the last one left may finish, never two.
    /// </summary>
    [Fact]
    public async Task Three_users_running_half_the_limit_each_at_once_fail_with_53200_and_the_server_goes_on()
    {
        var connections = s_users.Select(Open).ToList();
        try
        {
            Task<object?>[] queries = connections.Select(c => new NpgsqlCommand(HalfTheLimit, c).ExecuteScalarAsync()).ToArray();
            List<string> failures = [];
            foreach (Task<object?> query in queries)
            {
                try
                {
                    await query;
                }
                catch (PostgresException error)
                {
                    failures.Add(error.SqlState);
                }
            }

            Assert.True(failures.Count >= 2, $"{failures.Count} of 3 failed");
            Assert.All(failures, state => Assert.Equal("53200", state));
            Assert.True(_sessions!.MemoryLimits.Sum() <= 1_000_000_000L, string.Join(", ", _sessions.MemoryLimits));
            using NpgsqlConnection after = Open("ana");
            Assert.Equal(4950L, new NpgsqlCommand("SELECT sum(i)::BIGINT FROM range(100) t(i)", after).ExecuteScalar());
        }
        finally
        {
            connections.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public void Each_users_share_is_what_their_database_reports_and_the_shares_never_add_up_past_the_limit()
    {
        using NpgsqlConnection first = Open("ana");
        long alone = Limit(first);
        using NpgsqlConnection second = Open("bia");
        using NpgsqlConnection third = Open("caio");
        long shared = Limit(first);

        Assert.InRange(alone, 900_000_000L, 1_000_000_000L);
        Assert.InRange(shared, 300_000_000L, 340_000_000L);
        Assert.Equal(shared, Limit(third));
        Assert.True(_sessions!.MemoryLimits.Sum() <= 1_000_000_000L, string.Join(", ", _sessions.MemoryLimits));

        second.Dispose();
        third.Dispose();
        // The server ends a session when it reads the client's Terminate, after Dispose returns.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (Limit(first) != alone && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(20);
        }

        Assert.Equal(alone, Limit(first));
    }

    /// <summary>The user's database's limit in bytes, as DuckDB shows it to the user (one decimal of MiB or GiB).</summary>
    private static long Limit(NpgsqlConnection connection)
    {
        string text = (string)new NpgsqlCommand("SELECT setting FROM pg_settings WHERE name = 'memory_limit'", connection).ExecuteScalar()!;
        string[] parts = text.Split(' ');
        double unit = parts[1] == "GiB" ? 1 << 30 : 1 << 20;
        return (long)(double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * unit);
    }
}
