using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Medallion.Pipelines.Alerts;
using Medallion.Server.Alerts;

namespace Medallion.Server.Tests.Alerts;

/// <summary>
/// The e-mail channel against a real SMTP server (Debian's aiosmtpd, see build/test-setup/aiosmtpd.sh) that demands
/// STARTTLS and a login, with a certificate made for the test.
/// </summary>
public sealed class EmailChannelTests : IAsyncLifetime
{
    private const string User = "alerts";
    private const string Password = "s3cret-Pa55";
    private readonly TempDirectory _directory = new("smtp");
    private Process? _smtp;
    private int _port;

    public async Task InitializeAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(Path.Combine(_directory.Path, "cert.pem"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_directory.Path, "key.pem"), key.ExportPkcs8PrivateKeyPem());
        Directory.CreateDirectory(Path.Combine(_directory.Path, "mail"));
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "Alerts", "Assets", "smtp_server.py"), _port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Path.Combine(_directory.Path, "cert.pem"), Path.Combine(_directory.Path, "key.pem"), User, Password, Path.Combine(_directory.Path, "mail"),
            },
        };
        _smtp = Process.Start(start)!;
        string? ready = await _smtp.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (ready != "READY")
        {
            // Its error output is read only now: reading it first would wait for the server to exit.
            _smtp.Kill();
            Assert.Fail($"aiosmtpd did not start (run build/test-setup/aiosmtpd.sh): {await _smtp.StandardError.ReadToEndAsync()}");
        }
    }

    [Fact]
    public async Task An_alert_goes_out_over_starttls_after_login_with_the_title_as_subject()
    {
        var email = new EmailAlertSender(Channel(Password));
        var message = new AlertMessage("freshness:bronze.orders", "freshness", AlertStatus.Firing, "error", "bronze.orders has not been loaded for 7h", "table bronze.orders",
            new DateTimeOffset(2026, 3, 5, 9, 0, 0, TimeSpan.Zero), "Last load at 2026-03-05 02:00 UTC; error_after is 6h.", new Uri("https://medallion.example.com/tables/bronze.orders"), "shop");

        await email.SendAsync(message, CancellationToken.None);

        string mail = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(Path.Combine(_directory.Path, "mail"), "*.eml")));
        Assert.Contains($"X-Test-Login: {User}\r\n", mail, StringComparison.Ordinal);
        Assert.Contains("X-Test-Tls: yes\r\n", mail, StringComparison.Ordinal);
        Assert.Contains("X-Test-Mail-From: medallion@example.com\r\n", mail, StringComparison.Ordinal);
        Assert.Contains("X-Test-Rcpt-To: data@example.com,oncall@example.com\r\n", mail, StringComparison.Ordinal);
        Assert.Contains("Subject: [FIRING] shop: bronze.orders has not been loaded for 7h", mail, StringComparison.Ordinal);
        Assert.Contains("https://medallion.example.com/tables/bronze.orders", mail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_by_the_server_and_nothing_is_delivered()
    {
        var email = new EmailAlertSender(Channel("wrong"));
        var message = new AlertMessage("k", "r", AlertStatus.Firing, "error", "what", "where", DateTimeOffset.UtcNow, null, null, "shop");

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await Assert.ThrowsAsync<MailKit.Security.AuthenticationException>(() => email.SendAsync(message, limit.Token));

        Assert.Empty(Directory.GetFiles(Path.Combine(_directory.Path, "mail"), "*.eml"));
    }

    public async Task DisposeAsync()
    {
        if (_smtp is not null)
        {
            _smtp.StandardInput.Close();
            if (!_smtp.WaitForExit(5000))
            {
                _smtp.Kill();
            }

            _smtp.Dispose();
        }

        _directory.Dispose();
        await Task.CompletedTask;
    }

    private EmailChannelDefinition Channel(string password) =>
        new("mail", "127.0.0.1", _port, SmtpSecurity.StartTls, User, password, "medallion@example.com", ["data@example.com", "oncall@example.com"], new SourceLocation("medallion.yml", 1, 1))
        {
            AllowInvalidCertificate = true,
        };
}
