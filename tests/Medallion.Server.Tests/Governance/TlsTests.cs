using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Medallion.Pipelines;
using Medallion.Pipelines.Tests;
using Npgsql;

namespace Medallion.Server.Tests.Governance;

/// <summary>
/// Encryption in transit, checked by real clients that verify the server: psql, Npgsql and the JDBC driver with
/// verify-full against a test CA, for the host name localhost; plain connections refused under RequireTls; a certificate
/// from another CA or an expired one rejected by the client; the HTTP listener serving HTTPS only.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private const string JdbcJar = "/usr/share/java/postgresql.jar";

    private readonly TestProject _project = new();
    private readonly List<ProjectEnvironment> _environments = [];
    private readonly string _files = Directory.CreateTempSubdirectory("medallion-tls-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (ProjectEnvironment environment in _environments)
        {
            await environment.DisposeAsync();
        }

        _project.Dispose();
        Directory.Delete(_files, recursive: true);
    }

    [Fact]
    public async Task Psql_with_verify_full_connects_to_a_certificate_of_the_test_CA()
    {
        TestCa ca = TestCa.Create("Medallion Test CA");
        await using SqlEndpoint endpoint = await StartAsync(ca.Issue(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));

        (int exitCode, string output, string error) = await RunAsync("psql",
            $"host=localhost port={endpoint.Port} dbname=shop user=ana sslmode=verify-full sslrootcert={WriteRoot(ca)}", "-Atc", "SELECT 'over tls', current_setting('ssl') IS NOT NULL");

        Assert.True(exitCode == 0, error);
        Assert.StartsWith("over tls|", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npgsql_with_VerifyFull_connects_to_a_certificate_of_the_test_CA()
    {
        TestCa ca = TestCa.Create("Medallion Test CA");
        await using SqlEndpoint endpoint = await StartAsync(ca.Issue(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));

        Assert.Equal("over tls", await NpgsqlQueryAsync(endpoint, SslMode.VerifyFull, WriteRoot(ca)));
    }

    [Fact]
    public async Task The_JDBC_driver_with_verify_full_connects_to_a_certificate_of_the_test_CA()
    {
        Assert.True(File.Exists(JdbcJar), $"{JdbcJar} is missing: install libpostgresql-jdbc-java (build/test-setup/pgwire-clients.sh).");
        TestCa ca = TestCa.Create("Medallion Test CA");
        await using SqlEndpoint endpoint = await StartAsync(ca.Issue(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));

        (int exitCode, string output, string error) = await RunAsync("java",
            "-cp", JdbcJar, Path.Combine(AppContext.BaseDirectory, "Governance", "JdbcTls.java"), endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "ana", WriteRoot(ca));

        Assert.True(exitCode == 0, error);
        Assert.Equal("over tls 42", output.Trim());
    }

    [Fact]
    public async Task A_plain_connection_is_refused_when_TLS_is_required()
    {
        TestCa ca = TestCa.Create("Medallion Test CA");
        await using SqlEndpoint endpoint = await StartAsync(ca.Issue(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));

        PostgresException error = await Assert.ThrowsAsync<PostgresException>(() => NpgsqlQueryAsync(endpoint, SslMode.Disable, null));

        Assert.Equal(("FATAL", "28000"), (error.Severity, error.SqlState));
    }

    [Fact]
    public async Task Psql_with_verify_full_rejects_a_certificate_of_another_CA()
    {
        TestCa trusted = TestCa.Create("Medallion Test CA");
        TestCa other = TestCa.Create("Someone Else's CA");
        await using SqlEndpoint endpoint = await StartAsync(other.Issue(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));

        (int exitCode, _, string error) = await RunAsync("psql",
            $"host=localhost port={endpoint.Port} dbname=shop user=ana sslmode=verify-full sslrootcert={WriteRoot(trusted)}", "-Atc", "SELECT 1");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("certificate verify failed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npgsql_with_VerifyFull_rejects_an_expired_certificate()
    {
        TestCa ca = TestCa.Create("Medallion Test CA");
        await using SqlEndpoint endpoint = await StartAsync(ca.Issue(DateTimeOffset.UtcNow.AddDays(-10), DateTimeOffset.UtcNow.AddDays(-1)));

        NpgsqlException error = await Assert.ThrowsAnyAsync<NpgsqlException>(() => NpgsqlQueryAsync(endpoint, SslMode.VerifyFull, WriteRoot(ca)));

        Assert.IsType<System.Security.Authentication.AuthenticationException>(error.InnerException);
    }

    [Fact]
    public async Task The_HTTP_listener_with_a_certificate_serves_HTTPS_and_refuses_plain_HTTP()
    {
        TestCa ca = TestCa.Create("Medallion Test CA");
        await using MedallionServer server = await MedallionServer.StartAsync(new MedallionServerOptions
        {
            ProjectDirectory = _project.Directory,
            HttpPort = 0,
            Certificate = ca.Issue(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)),
            Grace = TimeSpan.FromSeconds(5),
        });
        int port = server.HttpAddress.Port;
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) => errors == System.Net.Security.SslPolicyErrors.None || ca.Verifies(certificate!),
        };
        using var https = new HttpClient(handler);
        using var plain = new HttpClient();

        Assert.Equal(HttpStatusCode.OK, (await https.GetAsync(new Uri($"https://localhost:{port}/healthz"))).StatusCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(new Uri($"http://localhost:{port}/healthz")));
    }

    private async Task<SqlEndpoint> StartAsync(X509Certificate2 certificate)
    {
        var environment = new ProjectEnvironment(await _project.LoadAsync());
        _environments.Add(environment);
        return await SqlEndpoint.StartAsync(environment, new SqlEndpointOptions { Port = 0, TrustLoopback = true, Certificate = certificate, RequireTls = true });
    }

    private string WriteRoot(TestCa ca)
    {
        string path = Path.Combine(_files, Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, ca.Certificate.ExportCertificatePem());
        return path;
    }

    private static async Task<object?> NpgsqlQueryAsync(SqlEndpoint endpoint, SslMode mode, string? root)
    {
        var builder = new NpgsqlConnectionStringBuilder { Host = "localhost", Port = endpoint.Port, Username = "ana", Database = "shop", Pooling = false, SslMode = mode, RootCertificate = root };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT 'over tls'", connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // libpq would read a client certificate from the home folder; none belongs in these tests.
        start.Environment["PGSSLCERT"] = "/nonexistent";
        start.Environment["PGSSLKEY"] = "/nonexistent";
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>A certificate authority made for one test, and server certificates for localhost that it issues.</summary>
    private sealed class TestCa
    {
        private readonly RSA _key;

        private TestCa(X509Certificate2 certificate, RSA key)
        {
            Certificate = certificate;
            _key = key;
        }

        public X509Certificate2 Certificate { get; }

        public static TestCa Create(string name)
        {
            var key = RSA.Create(2048);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            return new TestCa(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(30)), key);
        }

        /// <summary>A server certificate for <c>localhost</c> (and 127.0.0.1), valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.</summary>
        public X509Certificate2 Issue(DateTimeOffset notBefore, DateTimeOffset notAfter)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
            using X509Certificate2 issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForRSA(_key, RSASignaturePadding.Pkcs1), notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
            using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
            // SslStream on Linux needs a certificate whose key it can use from a fresh PKCS#12 load.
            return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        }

        /// <summary>Whether <paramref name="certificate"/> chains to this CA alone (the test's trust store).</summary>
        public bool Verifies(X509Certificate2 certificate)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Certificate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        }
    }
}
