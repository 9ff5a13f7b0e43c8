using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Cli.Output;
using Medallion.Cli.Shell;
using System;
using Medallion.DuckDb;

namespace Medallion.Cli.Commands;

/// <summary><c>medallion sql "&lt;query&gt;"</c>: runs SQL on the embedded engine and prints each result.</summary>
internal static class SqlCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var query = new Argument<string?>("query")
        {
            Description = "The SQL to run; several statements separated by ';' print one result each. Without it, an interactive shell starts (or, with piped input, the statements read from it run).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("sql", "Run SQL on the embedded DuckDB engine.") { query, format };
        command.SetAction((parsed, cancellationToken) => parsed.GetValue(query) is { } sql
            ? RunAsync(sql, parsed.GetValue(format), output, cancellationToken)
            : RunShellAsync(parsed.GetValue(format), output, error, cancellationToken));
        return command;
    }

    private static async Task<int> RunShellAsync(OutputFormat format, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using var connection = new DuckDbConnection();
        connection.Open();
        var shell = new SqlShell(connection, format, output, error);
        return await shell.RunAsync(Console.In, interactive: !Console.IsInputRedirected, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunAsync(string sql, OutputFormat format, TextWriter output, CancellationToken cancellationToken)
    {
        await using var connection = new DuckDbConnection();
        connection.Open();
        await using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        Stopwatch elapsed = Stopwatch.StartNew();
        await using DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
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
