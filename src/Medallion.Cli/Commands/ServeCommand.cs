using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;
using Medallion.Engine;
using Medallion.Engine.Sessions;
using Medallion.PgWire;
using Medallion.Pipelines;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion serve</c>: serves SQL to BI tools and drivers over the PostgreSQL wire protocol
/// until interrupted (Ctrl+C). In a project, clients see its lakehouse namespaces as schemas and its
/// tables as <c>namespace.table</c>, log in as the users kept in its catalog (<c>medallion user add</c>),
/// and connect to the database named like the project (or <c>medallion</c>).
/// </summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var port = new Option<int>("--pg-port") { Description = "TCP port of the PostgreSQL endpoint (0 picks a free one).", DefaultValueFactory = _ => 5433 };
        var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        Option<string> project = ProjectOption.Create();
        var database = new Option<FileInfo?>("--database") { Description = "Outside a project: a DuckDB database file to serve (in-memory when omitted)." };
        var users = new Option<FileInfo?>("--users") { Description = "File of 'name:SCRAM-SHA-256$...' lines: who may log in, instead of the project catalog's users." };
        var trust = new Option<bool>("--trust-loopback") { Description = "Let clients on this machine (loopback) in without a password." };
        var certificate = new Option<FileInfo?>("--tls-cert") { Description = "PEM certificate for TLS (with --tls-key); without it clients connect unencrypted." };
        var key = new Option<FileInfo?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var requireTls = new Option<bool>("--require-tls") { Description = "Refuse clients that do not switch to TLS (SQLSTATE 28000); needs --tls-cert." };
        var maxConnections = new Option<int>("--max-connections") { Description = "Most clients connected at once, counting those still logging in; one more is refused with SQLSTATE 53300.", DefaultValueFactory = _ => 100 };
        var memoryLimit = new Option<string?>("--memory-limit") { Description = "Memory all running queries share, e.g. 4GB (default: 80% of RAM); DuckDB has no per-query limit, so a query that finds too little left fails alone (SQLSTATE 53200).", HelpName = "size" };
        var statementTimeout = new Option<string?>("--statement-timeout") { Description = "Cancel statements running longer than this, e.g. 30s, 5min, 500ms (default: none).", HelpName = "duration" };
        var command = new Command("serve", "Serve the project's tables to BI tools, drivers and psql over the PostgreSQL wire protocol (read-only).")
        {
            port, host, project, database, users, trust, certificate, key, requireTls, maxConnections, memoryLimit, statementTimeout,
        };
        command.SetAction((parsed, cancellationToken) => RunAsync(
            new Settings(
                parsed.GetValue(port), parsed.GetRequiredValue(host), ProjectOption.Resolve(parsed, project), parsed.GetValue(database), parsed.GetValue(users),
                parsed.GetValue(trust), parsed.GetValue(certificate), parsed.GetValue(key), parsed.GetValue(requireTls), parsed.GetValue(maxConnections),
                parsed.GetValue(memoryLimit), parsed.GetValue(statementTimeout)),
            output,
            error,
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(Settings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!IPAddress.TryParse(settings.Host, out IPAddress? address))
        {
            await error.WriteLineAsync($"error: --host '{settings.Host}' is not an IP address. Help: use 127.0.0.1 for this machine or 0.0.0.0 for every interface.");
            return MedallionCli.UsageError;
        }

        if ((settings.Certificate is null) != (settings.Key is null))
        {
            await error.WriteLineAsync("error: --tls-cert and --tls-key go together.");
            return MedallionCli.UsageError;
        }

        if (settings.RequireTls && settings.Certificate is null)
        {
            await error.WriteLineAsync("error: --require-tls needs a certificate to offer TLS with. Help: pass --tls-cert <file.pem> --tls-key <key.pem>.");
            return MedallionCli.UsageError;
        }

        if (settings.MaxConnections < 1)
        {
            await error.WriteLineAsync($"error: --max-connections {settings.MaxConnections} lets nobody in. Help: give a number of at least 1 (default 100).");
            return MedallionCli.UsageError;
        }

        TimeSpan? timeout = null;
        if (settings.StatementTimeout is { } text)
        {
            if (!TryParseDuration(text, out TimeSpan parsed))
            {
                await error.WriteLineAsync($"error: --statement-timeout '{text}' is not a duration. Help: write it like 30s, 5min, 500ms or 1h.");
                return MedallionCli.UsageError;
            }

            timeout = parsed;
        }

        MedallionProject? loaded = File.Exists(Path.Combine(settings.ProjectDirectory, MedallionProject.FileName))
            ? await MedallionProject.LoadAsync(settings.ProjectDirectory, cancellationToken: cancellationToken)
            : null;
        if (loaded is not null && settings.Database is not null)
        {
            await error.WriteLineAsync($"error: --database serves a DuckDB file outside a project, but {settings.ProjectDirectory} is a project. Help: drop --database to serve the project's tables.");
            return MedallionCli.UsageError;
        }

        string? storage = loaded?.Resolve(loaded.Storage);
        await using CatalogStore? catalog = loaded is null || settings.Users is not null ? null : await CatalogStore.OpenAsync(loaded.Resolve(loaded.Catalog), cancellationToken: cancellationToken);
        IPgUserStore? userStore = settings.Users is not null ? await PgUserStore.LoadAsync(settings.Users.FullName, cancellationToken)
            : catalog is not null ? new CatalogUserStore(catalog)
            : null;
        if (catalog is not null && !settings.TrustLoopback && (await catalog.ListUsersAsync(cancellationToken)).Count == 0)
        {
            await error.WriteLineAsync($"error: the project {loaded!.Name} has no users, so nobody could log in. Help: medallion user add <name> --project {settings.ProjectDirectory} (or pass --trust-loopback).");
            return MedallionCli.UsageError;
        }

        if (userStore is null && !settings.TrustLoopback)
        {
            await error.WriteLineAsync("error: nobody could log in. Help: serve a project with users (medallion user add), pass --users <file> (lines 'name:SCRAM-SHA-256$...') or --trust-loopback.");
            return MedallionCli.UsageError;
        }

        using X509Certificate2? certificate = settings.Certificate is null ? null : X509Certificate2.CreateFromPemFile(settings.Certificate.FullName, settings.Key!.FullName);
        using DuckDbDatabase db = LakehouseSessionFactory.OpenServingDatabase(settings.Database?.FullName,
            // Tables on an object store are read from their copies in the local object cache.
            storage is null ? [] : [StorageResolver.IsUri(storage) ? StorageResolver.Cache.Directory : storage], settings.MemoryLimit);
        ITableLocator tables = storage is null ? NoTables.Instance : new DirectoryTableLocator(storage);
        if (catalog is not null)
        {
            tables = new CatalogTableLocator(tables, catalog);
        }

        await using var server = new PgWireServer(new PgWireServerOptions
        {
            Address = address,
            Port = settings.Port,
            SessionFactory = new LakehouseSessionFactory(db, tables, loaded?.Name),
            UserStore = userStore,
            TrustLoopback = settings.TrustLoopback,
            ServerCertificate = certificate,
            RequireTls = settings.RequireTls,
            MaxConnections = settings.MaxConnections,
            StatementTimeout = timeout,
        });
        await server.StartAsync(cancellationToken);
        if (!IPAddress.IsLoopback(address) && certificate is null)
        {
            // SCRAM keeps passwords off the wire, but every query and result would cross the network in clear.
            await error.WriteLineAsync($"warning: serving on {settings.Host} without TLS: anyone on the network can read the queries and results. Help: pass --tls-cert and --tls-key (and --require-tls to refuse unencrypted clients), or serve on 127.0.0.1.");
        }

        string what = loaded is null ? db.DataSource : $"project {loaded.Name} (database \"{loaded.Name}\" or \"{LakehouseSessionFactory.DefaultDatabaseName}\")";
        await output.WriteLineAsync($"Serving {what} over the PostgreSQL protocol on {settings.Host}:{server.Port} (read-only). Press Ctrl+C to stop.");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: stop serving and exit normally.
        }

        await server.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>Durations as people write them: <c>500ms</c>, <c>30s</c>, <c>5min</c>, <c>1h</c>; a bare number is milliseconds, as PostgreSQL's statement_timeout.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        string trimmed = text.Trim().ToLowerInvariant();
        (string suffix, double factorMs)[] units = [("ms", 1), ("min", 60_000), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        double factor = 1;
        foreach ((string suffix, double factorMs) in units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.Ordinal))
            {
                trimmed = trimmed[..^suffix.Length].Trim();
                factor = factorMs;
                break;
            }
        }

        if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value <= 0 || double.IsInfinity(value))
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(value * factor);
        return true;
    }

    private sealed record Settings(
        int Port, string Host, string ProjectDirectory, FileInfo? Database, FileInfo? Users, bool TrustLoopback,
        FileInfo? Certificate, FileInfo? Key, bool RequireTls, int MaxConnections, string? MemoryLimit, string? StatementTimeout);
}
