using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Cli.Output;
using Medallion.Cli.Shell;
using System;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;
using Medallion.Pipelines;

namespace Medallion.Cli.Commands;

/// <summary><c>medallion sql "&lt;query&gt;"</c>: runs SQL on the embedded engine and prints each result.</summary>
internal static class SqlCommand
{
    public static Command Create(TextWriter output, TextWriter error, TextReader? input = null)
    {
        var query = new Argument<string?>("query")
        {
            Description = "The SQL to run; several statements separated by ';' print one result each. Without it, an interactive shell starts (or, with piped input, the statements read from it run).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Option<OutputFormat> format = CommonOptions.Format();
        Option<string> project = ProjectOption.Create();
        var command = new Command("sql", "Run SQL on the lakehouse (namespace.table, with AT (VERSION => n) time travel); outside a project, on an in-memory engine.") { query, format, project };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            await using LakehouseSession session = await OpenSessionAsync(ProjectOption.Resolve(parsed, project), cancellationToken).ConfigureAwait(false);
            if (parsed.GetValue(query) is { } sql)
            {
                return await RunAsync(session, sql, parsed.GetValue(format), output, cancellationToken).ConfigureAwait(false);
            }

            var shell = new SqlShell(session, parsed.GetValue(format), output, error);
            return await shell.RunAsync(input ?? Console.In, interactive: input is null && !Console.IsInputRedirected, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// In a project (a folder with medallion.yml) the session sees the project's tables and is read-only;
    /// elsewhere it is a scratch in-memory engine where any SQL may run.
    /// </summary>
    private static async Task<LakehouseSession> OpenSessionAsync(string projectDirectory, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(projectDirectory, MedallionProject.FileName)))
        {
            return await LakehouseSession.OpenAsync(NoTables.Instance, readOnly: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        MedallionProject loaded = await MedallionProject.LoadAsync(projectDirectory, cancellationToken: cancellationToken).ConfigureAwait(false);
        string storage = loaded.Resolve(loaded.Storage);
        return await LakehouseSession.OpenAsync(new DirectoryTableLocator(storage), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(LakehouseSession session, string sql, OutputFormat format, TextWriter output, CancellationToken cancellationToken)
    {
        Stopwatch elapsed = Stopwatch.StartNew();
        await using DuckDbDataReader reader = await session.ExecuteReaderAsync(sql, cancellationToken: cancellationToken).ConfigureAwait(false);
        do
        {
            if (reader.FieldCount > 0)
            {
                ResultWriter.Write(reader, format, output, elapsed);
            }
            else if (format == OutputFormat.Table && reader.RecordsAffected >= 0)
            {
                await output.WriteLineAsync($"({reader.RecordsAffected} rows affected)").ConfigureAwait(false);
            }

            elapsed.Restart();
        }
        while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));

        return 0;
    }
}
