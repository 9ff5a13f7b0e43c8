using System;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Pipelines;
using Medallion.Server;

namespace Medallion.Cli.Commands;

/// <summary>
/// <c>medallion server</c>: runs the project as a long-running process (the REST API over HTTP and the SQL endpoint)
/// until SIGTERM or Ctrl+C, then stops within the grace period and exits 0.
/// </summary>
internal static class ServerCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var endpoint = new SqlEndpointArguments();
        Option<string> project = ProjectOption.Create();
        var httpPort = new Option<int>("--http-port") { Description = "TCP port of the HTTP listener: web UI, REST API, /healthz, /readyz, /openapi.json, /metrics (0 picks a free one).", DefaultValueFactory = _ => 8080 };
        var grace = new Option<string>("--grace") { Description = "On SIGTERM or Ctrl+C, how long running work may finish before it is cancelled, e.g. 30s.", DefaultValueFactory = _ => "30s", HelpName = "duration" };
        var anonymousMetrics = new Option<bool>("--metrics-anonymous")
        {
            Description = "Serve /metrics without credentials to other machines too; by default only this machine scrapes without an API token (Authorization: Bearer).",
        };
        var command = new Command("server", "Run the project as a server: the web UI and REST API over HTTP and the SQL endpoint, until SIGTERM or Ctrl+C. A project without users gets an operator 'admin' on its first start (password printed once and kept in .medallion/admin-password).") { project, httpPort, grace, anonymousMetrics };
        foreach (Option option in endpoint.Options)
        {
            command.Add(option);
        }

        command.SetAction(async (parsed, cancellationToken) =>
        {
            string directory = ProjectOption.Resolve(parsed, project);
            MedallionProject? loaded = await ServeCommand.LoadIfPresentAsync(directory, cancellationToken).ConfigureAwait(false);
            if (loaded is null)
            {
                await error.WriteLineAsync($"error: {directory} is not a Medallion project (no {MedallionProject.FileName}). Help: run this in the project folder, pass --project <dir>, or create one with medallion init.").ConfigureAwait(false);
                return MedallionCli.UsageError;
            }

            string graceText = parsed.GetRequiredValue(grace);
            if (!SqlEndpointArguments.TryParseDuration(graceText, out TimeSpan gracePeriod))
            {
                await error.WriteLineAsync($"error: --grace '{graceText}' is not a duration. Help: write it like 30s, 2min or 500ms.").ConfigureAwait(false);
                return MedallionCli.UsageError;
            }

            string? adminPassword;
            await using (CatalogStore catalog = await CatalogStore.OpenAsync(loaded.Resolve(loaded.Catalog), cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                adminPassword = await FirstAdmin.EnsureAsync(catalog, loaded.Directory, cancellationToken).ConfigureAwait(false);
            }

            SqlEndpointOptions? sql = await endpoint.ResolveAsync(parsed, loaded, null, error, cancellationToken).ConfigureAwait(false);
            if (sql is null)
            {
                return MedallionCli.UsageError;
            }

            await using MedallionServer server = await MedallionServer.StartAsync(new MedallionServerOptions
            {
                ProjectDirectory = loaded.Directory,
                HttpAddress = sql.Address,
                HttpPort = parsed.GetValue(httpPort),
                Certificate = sql.Certificate,
                Sql = sql,
                Grace = gracePeriod,
                AnonymousMetrics = parsed.GetValue(anonymousMetrics),
            }, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Medallion server for project {loaded.Name}: REST API on {server.HttpAddress}, SQL on {sql.Address}:{server.PgPort}. Press Ctrl+C to stop.").ConfigureAwait(false);
            await output.WriteLineAsync($"Web UI: {server.HttpAddress} (sign in with a user of the project: medallion user list).").ConfigureAwait(false);
            if (adminPassword is not null)
            {
                string file = Path.GetRelativePath(Environment.CurrentDirectory, FirstAdmin.PasswordFile(loaded.Directory));
                await output.WriteLineAsync($"The project had no users, so this first start created the operator '{FirstAdmin.UserName}' with the password {adminPassword}").ConfigureAwait(false);
                await output.WriteLineAsync($"  (shown once; it is also in {file}, readable only by you). Change it with: medallion user add {FirstAdmin.UserName} --project {loaded.Directory}").ConfigureAwait(false);
            }
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or Ctrl+C: stop below, within the grace period.
            }

            await output.WriteLineAsync("Stopping: no new runs; running work has " + graceText + " to finish.").ConfigureAwait(false);
            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await output.WriteLineAsync("Stopped.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
