using System;
using System.CommandLine;
using System.IO;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;
using Medallion.PgWire;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion serve</c>: serves SQL to BI tools and drivers over the PostgreSQL wire protocol
/// until interrupted (Ctrl+C).
/// </summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var port = new Option<int>("--pg-port") { Description = "TCP port of the PostgreSQL endpoint (0 picks a free one).", DefaultValueFactory = _ => 5433 };
        var host = new Option<string>("--host") { Description = "Address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var database = new Option<FileInfo?>("--database") { Description = "DuckDB database file to serve (in-memory when omitted)." };
        var users = new Option<FileInfo?>("--users") { Description = "File of 'name:SCRAM-SHA-256$...' lines: who may log in with a password." };
        var trust = new Option<bool>("--trust-loopback") { Description = "Let clients on this machine (loopback) in without a password." };
        var certificate = new Option<FileInfo?>("--tls-cert") { Description = "PEM certificate for TLS (with --tls-key); without it clients connect unencrypted." };
        var key = new Option<FileInfo?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var command = new Command("serve", "Serve tables to BI tools, drivers and psql over the PostgreSQL wire protocol (read-only).")
        {
            port, host, database, users, trust, certificate, key,
        };
        command.SetAction((parsed, cancellationToken) => RunAsync(
            new Settings(parsed.GetValue(port), parsed.GetRequiredValue(host), parsed.GetValue(database), parsed.GetValue(users), parsed.GetValue(trust), parsed.GetValue(certificate), parsed.GetValue(key)),
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

        if (settings.Users is null && !settings.TrustLoopback)
        {
            await error.WriteLineAsync("error: nobody could log in. Help: pass --users <file> (lines 'name:SCRAM-SHA-256$...') or --trust-loopback.");
            return MedallionCli.UsageError;
        }

        if ((settings.Certificate is null) != (settings.Key is null))
        {
            await error.WriteLineAsync("error: --tls-cert and --tls-key go together.");
            return MedallionCli.UsageError;
        }

        PgUserStore? userStore = settings.Users is null ? null : await PgUserStore.LoadAsync(settings.Users.FullName, cancellationToken);
        using X509Certificate2? certificate = settings.Certificate is null ? null : X509Certificate2.CreateFromPemFile(settings.Certificate.FullName, settings.Key!.FullName);
        using DuckDbDatabase db = DuckDbDatabase.Open(settings.Database is null ? string.Empty : "Data Source=" + settings.Database.FullName);
        await using var server = new PgWireServer(new PgWireServerOptions
        {
            Address = address,
            Port = settings.Port,
            SessionFactory = new DuckDbSessionFactory(db),
            UserStore = userStore,
            TrustLoopback = settings.TrustLoopback,
            ServerCertificate = certificate,
        });
        await server.StartAsync(cancellationToken);
        await output.WriteLineAsync($"Serving {db.DataSource} over the PostgreSQL protocol on {settings.Host}:{server.Port} (read-only). Press Ctrl+C to stop.");
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

    private sealed record Settings(int Port, string Host, FileInfo? Database, FileInfo? Users, bool TrustLoopback, FileInfo? Certificate, FileInfo? Key);
}
