using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using Medallion.Storage.S3;

namespace Medallion.Storage.Tests;

/// <summary>
/// Credentials the store refuses, against a moto_server of its own that checks them (the shared one accepts any):
/// <c>INITIAL_NO_AUTH_ACTION_COUNT=0</c> makes moto authenticate every request against its IAM, where no key exists.
/// </summary>
public sealed class S3CredentialTests : IAsyncLifetime
{
    private const string Secret = "wrong-secret-that-must-not-be-echoed";
    private readonly TempDirectory _cache = new();
    private Process _moto = null!;
    private Uri _endpoint = null!;

    public async Task InitializeAsync()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var start = new ProcessStartInfo("moto_server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["INITIAL_NO_AUTH_ACTION_COUNT"] = "0";
        _moto = Process.Start(start)!;
        _moto.BeginOutputReadLine();
        _moto.BeginErrorReadLine();
        _endpoint = new Uri($"http://127.0.0.1:{port}");
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(30) && !_moto.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        _moto.Kill(entireProcessTree: true);
        await _moto.WaitForExitAsync();
        _moto.Dispose();
        _cache.Dispose();
    }

    [Fact]
    public async Task A_commit_with_keys_the_store_does_not_know_fails_with_access_denied_naming_the_store_and_operation_but_not_the_secret()
    {
        S3ObjectStore store = Store();

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.PutIfAbsentAsync("_delta_log/00000000000000000000.json", Encoding.UTF8.GetBytes("{}")));

        Assert.Equal(ErrorCode.StorageAccessDenied, e.Code);
        Assert.StartsWith($"Could not write '_delta_log/00000000000000000000.json' in '{store.Location}': the store refused the credentials (InvalidAccessKeyId: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("Help: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the AWS profile) and that they may use the bucket.", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, e.Message, StringComparison.Ordinal);
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task A_snapshot_read_with_keys_the_store_does_not_know_is_access_denied_not_an_empty_table()
    {
        S3ObjectStore store = Store();

        var e = await Assert.ThrowsAsync<MedallionException>(() => store.GetInfoAsync("_delta_log/_last_checkpoint"));

        Assert.Equal(ErrorCode.StorageAccessDenied, e.Code);
    }

    private S3ObjectStore Store() => new(new S3StoreOptions
    {
        Bucket = "lake",
        Prefix = "sales/orders",
        Endpoint = _endpoint,
        AccessKeyId = "AKIAWRONGWRONGWRONG1",
        SecretAccessKey = Secret,
    }, new ObjectCache(_cache.Path));
}
