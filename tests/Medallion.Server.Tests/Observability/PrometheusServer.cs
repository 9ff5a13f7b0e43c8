using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Medallion.TestSupport;

namespace Medallion.Server.Tests.Observability;

/// <summary>
/// A real Prometheus (Debian's package, installed by build/test-setup/prometheus.sh) of the test's own: a temporary
/// configuration and data directory, a free loopback port, one job scraping the given target every second.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TempDirectory _directory;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, TempDirectory directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
        _http = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    /// <summary>
    /// Starts Prometheus scraping <c>http://{target}/metrics</c> as job <c>medallion</c>, and waits until it is ready.
    /// With <c>honor_labels</c>, as the README tells users: the series' own <c>job</c> label is the Medallion job.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(string target)
    {
        var directory = new TempDirectory();
        string config = Path.Combine(directory.Path, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: medallion
                metrics_path: /metrics
                honor_labels: true
                static_configs:
                  - targets: ['{target}']
            """);
        int port = FreePort();
        var start = new ProcessStartInfo("prometheus")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[]
        {
            "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(directory.Path, "data"),
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            directory.Dispose();
            throw new InvalidOperationException("prometheus is not installed; run build/test-setup/prometheus.sh", e);
        }

        var log = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using HttpResponseMessage ready = await server._http.GetAsync("-/ready");
                if (ready.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException) when (!process.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
            }

            if (process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                await server.DisposeAsync();
                lock (log)
                {
                    throw new InvalidOperationException("prometheus did not become ready: " + log);
                }
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Runs an instant query; throws with Prometheus's error when it fails.</summary>
    public async Task<JsonElement[]> QueryAsync(string promql)
    {
        using HttpResponseMessage response = await _http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(promql));
        string body = await response.Content.ReadAsStringAsync();
        using JsonDocument document = JsonDocument.Parse(body);
        JsonElement root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus refused '{promql}': {body}");
        }

        JsonElement data = root.GetProperty("data");
        return data.GetProperty("resultType").GetString() is "vector" or "matrix"
            ? [.. data.GetProperty("result").EnumerateArray().Select(e => e.Clone())]
            : [data.GetProperty("result").Clone()];
    }

    /// <summary>The value of a query that returns one series, once it does (scrapes come every second).</summary>
    public async Task<double> WaitForValueAsync(string promql, Func<double, bool>? until = null, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        string last = "no series";
        while (deadline.Elapsed < (timeout ?? TimeSpan.FromSeconds(30)))
        {
            JsonElement[] result = await QueryAsync(promql);
            if (result.Length == 1)
            {
                double value = Value(result[0]);
                if (until is null || until(value))
                {
                    return value;
                }

                last = value.ToString(CultureInfo.InvariantCulture);
            }
            else if (result.Length > 1)
            {
                last = $"{result.Length} series";
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"'{promql}' still gave {last}");
    }

    /// <summary>The sample value of a vector element.</summary>
    public static double Value(JsonElement sample) =>
        double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);

    /// <summary>The scrape target's health as Prometheus sees it (<c>up</c>, <c>down</c>) and its last error.</summary>
    public async Task<(string Health, string Error)> TargetAsync()
    {
        using JsonDocument document = JsonDocument.Parse(await _http.GetStringAsync("api/v1/targets"));
        JsonElement target = document.RootElement.GetProperty("data").GetProperty("activeTargets")[0];
        return (target.GetProperty("health").GetString()!, target.GetProperty("lastError").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _directory.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
