using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>With a certificate configured, SSLRequest is accepted and the session runs over TLS; with RequireTls, only over TLS.</summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly DuckDbDatabase _database = DuckDbDatabase.Open();
    private X509Certificate2 _certificate = null!;
    private PgWireServer? _server;

    public Task InitializeAsync()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 generated = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // SslStream on Linux needs a certificate whose key it can use from a fresh PKCS#12 load.
        _certificate = X509CertificateLoader.LoadPkcs12(generated.Export(X509ContentType.Pkcs12), password: null);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _certificate.Dispose();
        _database.Dispose();
    }

    [Fact]
    public async Task A_client_requiring_TLS_connects_and_queries_over_it()
    {
        PgWireServer server = await StartAsync(requireTls: false);

        Assert.Equal("over tls", await QueryAsync(server, "Require"));
    }

    [Fact]
    public async Task A_server_requiring_TLS_accepts_a_TLS_client()
    {
        PgWireServer server = await StartAsync(requireTls: true);

        Assert.Equal("over tls", await QueryAsync(server, "Require"));
    }

    [Fact]
    public async Task A_server_requiring_TLS_refuses_a_plain_client_with_28000()
    {
        PgWireServer server = await StartAsync(requireTls: true);

        PostgresException error = await Assert.ThrowsAsync<PostgresException>(() => QueryAsync(server, "Disable"));

        Assert.Equal(("FATAL", "28000"), (error.Severity, error.SqlState));
        Assert.Equal("this server accepts only TLS connections, and this one is not encrypted. Help: connect with sslmode=require (Npgsql: SSL Mode=Require).", error.MessageText);
    }

    [Fact]
    public async Task Offering_TLS_without_requiring_it_warns_at_start_and_for_plain_connections_once_a_minute_per_address()
    {
        using var log = new RecordingLog();
        PgWireServer server = await StartAsync(requireTls: false, log);

        Assert.Equal("over tls", await QueryAsync(server, "Require"));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("over tls", await QueryAsync(server, "Disable"));
        }

        Assert.Contains(log.Lines, line => line.StartsWith("Warning: TLS is offered but not required: clients that do not ask for it connect unencrypted", StringComparison.Ordinal));
        string plain = Assert.Single(log.Lines, line => line.Contains("Unencrypted connection", StringComparison.Ordinal));
        Assert.Matches(@"^Warning: Unencrypted connection from 127\.0\.0\.1:\d+ for user secure while TLS is offered \(0 more from this address since its last such line\)$", plain);
    }

    [Fact]
    public async Task A_server_requiring_TLS_does_not_warn_about_it()
    {
        using var log = new RecordingLog();
        await StartAsync(requireTls: true, log);

        Assert.DoesNotContain(log.Lines, line => line.Contains("TLS", StringComparison.Ordinal));
    }

    [Fact]
    public void Requiring_TLS_without_a_certificate_is_refused_when_the_server_is_created()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new PgWireServer(new PgWireServerOptions
        {
            SessionFactory = new LakehouseSessionFactory(_database, NoTables.Instance),
            RequireTls = true,
        }));

        Assert.StartsWith("RequireTls needs a ServerCertificate to offer TLS with.", error.Message, StringComparison.Ordinal);
    }

    private async Task<PgWireServer> StartAsync(bool requireTls, RecordingLog? log = null)
    {
        var users = new PgUserStore();
        users.AddUser("secure", "tls-pass");
        _server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = new LakehouseSessionFactory(_database, NoTables.Instance),
            UserStore = users,
            ServerCertificate = _certificate,
            RequireTls = requireTls,
            LoggerFactory = log,
        });
        await _server.StartAsync();
        return _server;
    }

    private static async Task<object?> QueryAsync(PgWireServer server, string sslMode)
    {
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Username=secure;Password=tls-pass;Database=medallion;Pooling=false;SSL Mode={sslMode};Trust Server Certificate=true");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 'over tls'", connection);
        return await command.ExecuteScalarAsync();
    }
}
