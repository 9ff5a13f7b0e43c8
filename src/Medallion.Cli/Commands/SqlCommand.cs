using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Cli.Output;
using Medallion.DuckDb;

namespace Medallion.Cli.Commands;

/// <summary><c>medallion sql "&lt;query&gt;"</c>: runs SQL on the embedded engine and prints each result.</summary>
internal static class SqlCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var query = new Argument<string>("query") { Description = "The SQL to run; several statements separated by ';' print one result each." };
        Option<OutputFormat> format = CommonOptions.Format();
        var command = new Command("sql", "Run SQL on the embedded DuckDB engine.") { query, format };
        command.SetAction((parsed, cancellationToken) => RunAsync(parsed.GetRequiredValue(query), parsed.GetValue(format), output, cancellationToken));
        return command;
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
