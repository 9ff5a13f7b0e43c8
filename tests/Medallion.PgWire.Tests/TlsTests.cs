using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Npgsql;

namespace Medallion.PgWire.Tests;

/// <summary>With a certificate configured, SSLRequest is accepted and the session runs over TLS.</summary>
public sealed class TlsTests
{
    [Fact]
    public async Task A_client_requiring_TLS_connects_and_queries_over_it()
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using X509Certificate2 generated = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // SslStream on Linux needs a certificate whose key it can use from a fresh PKCS#12 load.
        using X509Certificate2 certificate = X509CertificateLoader.LoadPkcs12(generated.Export(X509ContentType.Pkcs12), password: null);
        using DuckDbDatabase database = DuckDbDatabase.Open();
        var users = new PgUserStore();
        users.AddUser("secure", "tls-pass");
        await using var server = new PgWireServer(new PgWireServerOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            SessionFactory = new LakehouseSessionFactory(database, NoTables.Instance),
            UserStore = users,
            ServerCertificate = certificate,
        });
        await server.StartAsync();

        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={server.Port};Username=secure;Password=tls-pass;Database=medallion;Pooling=false;SSL Mode=Require;Trust Server Certificate=true");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 'over tls'", connection);
        Assert.Equal("over tls", await command.ExecuteScalarAsync());
    }
}
