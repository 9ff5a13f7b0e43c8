using System.Net;
using System.Net.Sockets;
using Medallion.Catalog.Internal;
using Npgsql;

namespace Medallion.Catalog.Tests;

/// <summary>
/// What is PostgreSQL's own in a catalog: migrations serialized by an advisory lock, a schema chosen by the URL, and
/// the coded errors of a server that cannot be reached, a database that is missing, a refused login and a URL that does
/// not read, each naming the catalog without its password. The catalog's contract on every engine is in the
/// <see cref="CatalogContract"/> classes.
/// </summary>
public sealed class PostgresCatalogTests : IAsyncLifetime
{
    private readonly PostgresCatalogEngine _engine = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task Stores_opening_a_new_catalog_while_another_session_migrates_it_wait_for_its_lock_and_migrate_it_once()
    {
        string location = await _engine.NewLocationAsync();
        await using var holder = (NpgsqlConnection)await _engine.ConnectAsync(location);
        await using NpgsqlTransaction held = await holder.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand(PostgresCatalogDialect.TakeCatalogLock, holder, held))
        {
            await take.ExecuteNonQueryAsync();
        }

        Task<CatalogStore[]> opening = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => CatalogStore.OpenAsync(location))));
        await WaitUntilAsync(async () => await _engine.CountAsync(location, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == 8, opening);
        await held.CommitAsync();
        CatalogStore[] stores = await opening;

        Assert.All(await Task.WhenAll(stores.Select(s => s.GetSchemaVersionAsync())), v => Assert.Equal(CatalogStore.LatestSchemaVersion, v));
        Assert.Equal(CatalogStore.LatestSchemaVersion, await _engine.CountAsync(location, "SELECT count(*) FROM schema_version"));
        await stores[0].DisposeAsync();
    }

    [Fact]
    public async Task A_scheduler_takes_and_renews_its_lease_while_a_process_stopped_inside_a_write_holds_the_catalog_lock()
    {
        string location = await _engine.NewLocationAsync();
        await using CatalogStore store = await CatalogStore.OpenAsync(location);
        var holder = new LeaseHolder("scheduler-a", "host-a", 4242, DateTimeOffset.UtcNow);
        await using var stopped = (NpgsqlConnection)await _engine.ConnectAsync(location);
        await using NpgsqlTransaction held = await stopped.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand(PostgresCatalogDialect.TakeCatalogLock, stopped, held))
        {
            await take.ExecuteNonQueryAsync();
        }

        // Had they waited for the lock, each would fail after its 30 s wait (CatalogBusy).
        await store.Scheduler.AcquireSchedulerLeaseAsync(holder, TimeSpan.FromSeconds(6));
        bool renewed = await store.Scheduler.RenewSchedulerLeaseAsync(holder, TimeSpan.FromSeconds(6));

        Assert.True(renewed);
        await held.CommitAsync();
    }

    [Fact]
    public async Task A_catalog_lives_in_the_schema_its_urls_SearchPath_names_apart_from_a_catalog_in_another_schema()
    {
        string database = await _engine.NewDatabaseAsync();
        string teamA = PostgresCatalogEngine.UrlOf(database, "?SearchPath=team_a");
        string teamB = PostgresCatalogEngine.UrlOf(database, "?SearchPath=team_b");
        await _engine.ExecuteAsync(teamA, "CREATE SCHEMA team_a; CREATE SCHEMA team_b");

        await using CatalogStore a = await CatalogStore.OpenAsync(teamA);
        await using CatalogStore b = await CatalogStore.OpenAsync(teamB);
        RunRecord run = await a.Runs.StartRunAsync("silver.*");

        Assert.Equal([run.Id], (await a.Runs.ListRunsAsync()).Select(r => r.Id));
        Assert.Empty(await b.Runs.ListRunsAsync());
        Assert.Equal(
            ["team_a", "team_b"],
            await _engine.QueryAsync(teamA, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'runs' ORDER BY table_schema", r => r.GetString(0)));
    }

    [Fact]
    public async Task A_catalog_on_postgres_is_named_by_its_user_host_and_database_and_never_its_password()
    {
        string database = await _engine.NewDatabaseAsync();
        var server = new NpgsqlConnectionStringBuilder(TestPostgres.Server);

        await using CatalogStore store = await CatalogStore.OpenAsync(PostgresCatalogEngine.UrlOf(database));

        Assert.Equal($"postgres://{server.Username}@{server.Host}:{server.Port}/{database}", store.Path);
    }

    [Fact]
    public async Task A_read_on_a_connection_the_server_ended_fails_as_unavailable_and_transient_and_the_next_read_reconnects()
    {
        string location = await _engine.NewLocationAsync();
        await using CatalogStore store = await CatalogStore.OpenAsync(location);
        RunRecord run = await store.Runs.StartRunAsync(null);
        // The store's idle pooled connections end, as when the server restarts or an administrator ends them.
        await _engine.ExecuteAsync(location, "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'medallion'");

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => store.Runs.ListRunsAsync());

        Assert.Equal(ErrorCode.CatalogUnavailable, error.Code);
        Assert.True(error.IsTransient);
        Assert.StartsWith($"The catalog's database server '{store.Path}' could not be reached or dropped the connection: ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("\nHelp: check that PostgreSQL is up and reachable from here; run again. Nothing was read.", error.Message, StringComparison.Ordinal);
        Assert.Equal([run.Id], (await store.Runs.ListRunsAsync()).Select(r => r.Id));
    }

    [Fact]
    public async Task A_server_nobody_listens_on_fails_to_open_naming_the_catalog_without_its_password()
    {
        int port = ClosedPort();

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() =>
            CatalogStore.OpenAsync($"postgres://medallion:s3cret-pw@127.0.0.1:{port}/medallion_catalog"));

        Assert.Equal(ErrorCode.CatalogOpenFailed, error.Code);
        Assert.StartsWith($"Cannot open the catalog 'postgres://medallion@127.0.0.1:{port}/medallion_catalog': ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("\nHelp: check that PostgreSQL is up and reachable from here (host, port, sslmode); run again.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_that_does_not_exist_fails_to_open_telling_to_create_it()
    {
        string database = "medallion_missing_" + Guid.NewGuid().ToString("N")[..12];
        var server = new NpgsqlConnectionStringBuilder(TestPostgres.Server);

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => CatalogStore.OpenAsync(PostgresCatalogEngine.UrlOf(database)));

        Assert.Equal(ErrorCode.CatalogOpenFailed, error.Code);
        Assert.Equal(
            $"Cannot open the catalog 'postgres://{server.Username}@{server.Host}:{server.Port}/{database}': database \"{database}\" does not exist.\nHelp: create the database first (createdb, or CREATE DATABASE); Medallion creates its tables in it.",
            error.Message);
    }

    [Fact]
    public async Task A_wrong_password_fails_to_open_telling_to_check_the_user_and_password()
    {
        string database = await _engine.NewDatabaseAsync();
        var server = new NpgsqlConnectionStringBuilder(TestPostgres.Server);

        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => CatalogStore.OpenAsync(PostgresCatalogEngine.UrlOf(database, password: "not-the-password")));

        Assert.Equal(ErrorCode.CatalogOpenFailed, error.Code);
        Assert.Equal(
            $"Cannot open the catalog 'postgres://{server.Username}@{server.Host}:{server.Port}/{database}': the server refused the login (password authentication failed for user \"{server.Username}\").\nHelp: check the user and the password in the catalog's URL (write the password as ${{PGPASSWORD}} to read it from the environment).",
            error.Message);
    }

    [Fact]
    public async Task A_url_with_a_parameter_npgsql_does_not_know_is_refused_as_an_invalid_location()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => CatalogStore.OpenAsync("postgres://medallion:s3cret-pw@localhost/shop?sslmode=require&search_path=team_a"));

        Assert.Equal(ErrorCode.CatalogLocationInvalid, error.Code);
        Assert.Equal(
            "The catalog cannot be read: 'postgres://medallion:***@localhost/shop?sslmode=require&search_path=team_a' has the parameter 'search_path', which is not an Npgsql connection-string keyword.\nHelp: query parameters are Npgsql connection-string keywords, e.g. ?sslmode=require&timeout=15&SearchPath=medallion.",
            error.Message);
    }

    [Fact]
    public async Task A_url_with_a_value_npgsql_does_not_take_is_refused_as_an_invalid_location()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => CatalogStore.OpenAsync("postgres://medallion@localhost/shop?sslmode=sometimes"));

        Assert.Equal(ErrorCode.CatalogLocationInvalid, error.Code);
        Assert.StartsWith("The catalog cannot be read: 'postgres://medallion@localhost/shop?sslmode=sometimes' has a value of 'sslmode' Npgsql does not take (", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mysql_url_is_refused_as_an_invalid_location()
    {
        MedallionException error = await Assert.ThrowsAsync<MedallionException>(() => CatalogStore.OpenAsync("mysql://shop:s3cret-pw@localhost:3306/shop"));

        Assert.Equal(ErrorCode.CatalogLocationInvalid, error.Code);
        Assert.Equal(
            "The catalog cannot live on 'mysql://shop:***@localhost:3306/shop': a catalog is a SQLite file or a PostgreSQL database.\nHelp: write a file path (.medallion/catalog.db) or a postgres:// URL.",
            error.Message);
    }

    /// <summary>A local port nothing listens on: one the system just gave out and took back.</summary>
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task A_claimer_watching_hears_of_runs_another_process_admits_as_the_admission_commits()
    {
        await using ClaimableWatch watch = await ClaimableWatch.StartAsync(this);

        await watch.AdmitOneAsync();

        Assert.True(await watch.HeardAsync(), "no notification of the admission");
        Assert.True(await watch.StopAsync());
    }

    [Fact]
    public async Task A_claimer_whose_listening_connection_was_cut_listens_again_and_hears_of_later_admissions()
    {
        await using ClaimableWatch watch = await ClaimableWatch.StartAsync(this);

        await _engine.ExecuteAsync(watch.Location, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND datname = current_database()");
        await WaitUntilListeningAsync(watch.Location, 0, watch.Watching);
        await WaitUntilListeningAsync(watch.Location, 1, watch.Watching);
        await watch.AdmitOneAsync();

        Assert.True(await watch.HeardAsync(), "no notification of the admission after the connection was cut");
        Assert.True(await watch.StopAsync());
    }

    /// <summary>A new catalog open as two processes: a worker watching for claimable runs, and a scheduler that admits them.</summary>
    private sealed class ClaimableWatch : IAsyncDisposable
    {
        private readonly SemaphoreSlim _heard = new(0);
        private readonly CancellationTokenSource _stop = new();
        private CatalogStore _worker = null!;
        private CatalogStore _scheduler = null!;

        public string Location { get; private set; } = null!;

        public Task<bool> Watching { get; private set; } = null!;

        /// <summary>Opens the catalog twice and waits until the worker listens.</summary>
        public static async Task<ClaimableWatch> StartAsync(PostgresCatalogTests test)
        {
            var watch = new ClaimableWatch { Location = await test._engine.NewLocationAsync() };
            watch._worker = await CatalogStore.OpenAsync(watch.Location);
            watch._scheduler = await CatalogStore.OpenAsync(test._engine.AsAnotherProcess(watch.Location));
            watch.Watching = watch._worker.Runs.WatchClaimableRunsAsync(() => watch._heard.Release(), watch._stop.Token);
            await test.WaitUntilListeningAsync(watch.Location, 1, watch.Watching);
            return watch;
        }

        public async Task AdmitOneAsync()
        {
            RunRecord run = (await _scheduler.Runs.TryQueueRunAsync(new RunStart("hourly", RunTrigger.Api, null, null, null, "scheduler")))!;
            await _scheduler.Runs.AdmitAsync("scheduler", _ => [new RunAdmission(run.Id, [], Here: false)]);
        }

        public Task<bool> HeardAsync() => _heard.WaitAsync(TimeSpan.FromSeconds(30));

        /// <summary>Stops watching; what the watch returned.</summary>
        public async Task<bool> StopAsync()
        {
            await _stop.CancelAsync();
            return await Watching;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Watching;
            await _worker.DisposeAsync();
            await _scheduler.DisposeAsync();
            _stop.Dispose();
            _heard.Dispose();
        }
    }

    /// <summary>Waits until <paramref name="sessions"/> sessions of the catalog's database are listening (their last statement a LISTEN, still open).</summary>
    private Task WaitUntilListeningAsync(string location, int sessions, Task mustNotEnd) =>
        WaitUntilAsync(
            async () => await _engine.CountAsync(location, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND state = 'idle' AND datname = current_database()") == sessions,
            mustNotEnd);

    /// <summary>Waits until <paramref name="condition"/> holds; fails when <paramref name="mustNotEnd"/> ends first or it takes 30 seconds.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, Task mustNotEnd)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            Assert.False(mustNotEnd.IsCompleted, "what the test waits beside ended first");
            await Task.Delay(20, timeout.Token);
        }
    }
}
