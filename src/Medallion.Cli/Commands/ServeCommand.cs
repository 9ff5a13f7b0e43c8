using System;
using System.CommandLine;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.Cli.Output;
using Medallion.Pipelines;
using Medallion.Server;
using Microsoft.Extensions.Logging;

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
        var endpoint = new SqlEndpointArguments();
        Option<string> project = ProjectOption.Create();
        var database = new Option<FileInfo?>("--database") { Description = "Outside a project: a DuckDB database file to serve (in-memory when omitted)." };
        var command = new Command("serve", "Serve the project's tables to BI tools, drivers and psql over the PostgreSQL wire protocol (read-only).") { project, database };
        foreach (Option option in endpoint.Options)
        {
            command.Add(option);
        }

        command.SetAction(async (parsed, cancellationToken) =>
        {
            // Warnings of the endpoint (who floods or guesses passwords, unencrypted clients) go to standard error.
            using var log = new ConsoleLog(error, LogLevel.Warning);
            MedallionProject? loaded = await LoadIfPresentAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            await using ProjectEnvironment? environment = loaded is null ? null : new ProjectEnvironment(loaded, new ProjectEnvironmentOptions { Logs = log });
            CatalogStore? logins = environment is null ? null : await environment.GetCatalogAsync(cancellationToken).ConfigureAwait(false);
            SqlEndpointOptions options = await endpoint.ResolveAsync(parsed, loaded, logins, parsed.GetValue(database), error, cancellationToken).ConfigureAwait(false);
            await using SqlEndpoint server = await SqlEndpoint.StartAsync(environment, options with { Logs = log }, cancellationToken: cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Serving {server.Description} over the PostgreSQL protocol on {options.Address}:{server.Port} (read-only). Press Ctrl+C to stop.").ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: stop serving and exit normally.
            }

            await server.StopAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>The project in <paramref name="directory"/>, or null when it holds no project file (serving a DuckDB file instead).</summary>
    internal static async Task<MedallionProject?> LoadIfPresentAsync(string directory, CancellationToken cancellationToken) =>
        File.Exists(Path.Combine(directory, MedallionProject.FileName))
            ? await MedallionProject.LoadAsync(directory, cancellationToken: cancellationToken).ConfigureAwait(false)
            : null;
}
