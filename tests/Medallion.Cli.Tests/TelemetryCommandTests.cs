using System.Diagnostics;
using System.Text.Json;
using Medallion.Pipelines.Running;
using Medallion.Server.Tests.Observability;

namespace Medallion.Cli.Tests;

/// <summary>What the commands give operators' tooling: JSON log lines for a log shipper, traces for an OTLP collector.</summary>
public sealed class TelemetryCommandTests
{
    private static ServerProject Project() => new ServerProject("jobs:\n  - name: build\n    select: silver.orders\n")
        .Write("sources/files.yml", "sources:\n  - name: orders\n    format: csv\n    path: data/orders/*.csv\n    target: bronze.orders\n")
        .Write("data/orders/1.csv", "id,amount\n1,10\n2,20\n")
        .Write("models/silver/orders.sql", "SELECT id, amount FROM bronze.orders");

    [Fact]
    public async Task Server_with_log_format_json_prints_only_json_lines_and_each_line_of_a_run_names_its_run_job_and_model()
    {
        using ServerProject project = Project();
        using ServerProcess server = await ServerProcess.StartAsync(project.Directory, "--log-format", "json");

        string runId = (await server.PostAsync("api/jobs/build/trigger")).GetProperty("id").GetString()!;
        await server.WaitForAsync("the run's last line", () => Task.FromResult(server.Output.Any(l => l.Contains("run succeeded", StringComparison.Ordinal))), TimeSpan.FromSeconds(60));

        List<JsonElement> lines = [.. server.Output.Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        List<JsonElement> runLines = [.. lines.Where(l => l.GetProperty("Category").GetString() == "Medallion.Server.Runs")];
        Assert.Contains(runLines, l => l.GetProperty("Message").GetString()!.StartsWith("model silver.orders succeeded: 2 rows, version 0", StringComparison.Ordinal));
        Assert.All(runLines, line =>
        {
            JsonElement run = line.GetProperty("Scopes").EnumerateArray().Single(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("run_id", out _));
            Assert.Equal((runId, "build"), (run.GetProperty("run_id").GetString(), run.GetProperty("job").GetString()));
            string message = line.GetProperty("Message").GetString()!;
            string? model = run.GetProperty("model").GetString();
            Assert.True(model is null || message.Contains(model, StringComparison.Ordinal), $"'{message}' is not about {model}");
        });
        Assert.Contains(runLines, l => l.GetProperty("Scopes").EnumerateArray().Any(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("model", out JsonElement m) && m.GetString() == "silver.orders"));
    }

    [Fact]
    public async Task Run_exports_its_trace_to_the_collector_the_otlp_endpoint_variable_names()
    {
        using ServerProject project = Project();
        await using OtlpReceiver collector = await OtlpReceiver.StartAsync();

        (int exitCode, string output) = await RunWithEndpointAsync(project, collector.Endpoint.ToString());

        Assert.True(exitCode == 0, output);
        // The process flushed its spans before it exited.
        Assert.Equal(["model silver.orders", "run", "source bronze.orders"], collector.Spans.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal(2L, collector.Spans.Single(s => s.Name == "model silver.orders")[PipelineTracing.RowsTag]);
    }

    [Fact]
    public async Task A_bad_otlp_endpoint_stops_the_command_with_an_error_naming_the_variable()
    {
        using ServerProject project = Project();

        (int exitCode, string output) = await RunWithEndpointAsync(project, "collector:4318");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("Error MDL9504: OTEL_EXPORTER_OTLP_ENDPOINT is 'collector:4318', which is not an absolute http or https URL", output, StringComparison.Ordinal);
    }

    /// <summary><c>medallion run</c> as a process of its own (the exporter flushes when the process ends) with the endpoint variable set; standard error first.</summary>
    private static async Task<(int ExitCode, string Output)> RunWithEndpointAsync(ServerProject project, string endpoint)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "medallion.dll"), "run", "--project", project.Directory })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint;
        using Process process = Process.Start(start.WithoutDiagnosticFiles())!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, error + await output);
    }
}
