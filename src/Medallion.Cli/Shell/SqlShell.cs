using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Cli.Output;
using Medallion.DuckDb;
using Medallion.Engine.Sessions;

namespace Medallion.Cli.Shell;

/// <summary>
/// The interactive SQL shell of <c>medallion sql</c> without a query: statements end with <c>;</c> and
/// may span lines; backslash commands inspect the catalog (<c>\d</c>, <c>\d table</c>, <c>\dn</c>),
/// toggle timing and switch the output format. On a terminal it has line editing and a history kept
/// in <c>~/.medallion_history</c>; with piped input it runs the statements it reads and stops at the
/// first error with exit code 1, as <c>psql -v ON_ERROR_STOP=1</c> does.
/// </summary>
internal sealed class SqlShell
{
    private const string Help = """
        Statements end with ';' and may span several lines.
          \d             list tables          \d <table>   describe a table
          \dn            list schemas         \timing      toggle query timing
          \f <format>    table, csv, json or markdown
          \?             this help            \q           quit (or Ctrl-D)
        """;

    private readonly LakehouseSession _session;
    private readonly ShellAudit _audit;
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private OutputFormat _format;
    private bool _timing = true;

    public SqlShell(LakehouseSession session, ShellAudit audit, OutputFormat format, TextWriter output, TextWriter error)
    {
        _session = session;
        _audit = audit;
        _format = format;
        _output = output;
        _error = error;
    }

    /// <summary>Runs until end of input or <c>\q</c>; returns the process exit code.</summary>
    public async Task<int> RunAsync(TextReader input, bool interactive, CancellationToken cancellationToken)
    {
        LineEditor? editor = interactive ? new LineEditor(HistoryFile()) : null;
        if (interactive)
        {
            await _output.WriteLineAsync($"medallion {MedallionCli.Version} (DuckDB {DuckDbDatabase.LibraryVersion}). Type \\? for help, \\q to quit.").ConfigureAwait(false);
        }

        var statement = new StringBuilder();
        while (!cancellationToken.IsCancellationRequested)
        {
            string prompt = statement.Length == 0 ? "medallion> " : "      ...> ";
            string? line = editor is not null ? editor.ReadLine(prompt) : await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                break;
            }

            if (statement.Length == 0 && line.TrimStart().StartsWith('\\'))
            {
                editor?.Remember(line.Trim());
                if (!await RunMetaCommandAsync(line.Trim(), cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                continue;
            }

            statement.AppendLine(line);
            if (!line.TrimEnd().EndsWith(';'))
            {
                continue;
            }

            string sql = statement.ToString().Trim();
            statement.Clear();
            editor?.Remember(sql);
            bool succeeded = await RunSqlAsync(sql, cancellationToken).ConfigureAwait(false);
            if (!succeeded && !interactive)
            {
                return MedallionCli.Failure;
            }
        }

        if (statement.ToString().Trim().Length > 0 && !await RunSqlAsync(statement.ToString().Trim(), cancellationToken).ConfigureAwait(false) && !interactive)
        {
            return MedallionCli.Failure;
        }

        return 0;
    }

    private async Task<bool> RunMetaCommandAsync(string command, CancellationToken cancellationToken)
    {
        string[] parts = command.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        switch (parts[0])
        {
            case "\\q":
                return false;
            case "\\?":
                await _output.WriteLineAsync(Help).ConfigureAwait(false);
                return true;
            case "\\timing":
                _timing = !_timing;
                await _output.WriteLineAsync("Timing is " + (_timing ? "on." : "off.")).ConfigureAwait(false);
                return true;
            case "\\f" when parts.Length == 2 && Enum.TryParse(parts[1], ignoreCase: true, out OutputFormat format):
                _format = format;
                await _output.WriteLineAsync($"Output format is {format.ToString().ToLowerInvariant()}.").ConfigureAwait(false);
                return true;
            case "\\dn":
                await RunSqlAsync(
                    "SELECT schema_name AS \"schema\" FROM information_schema.schemata WHERE schema_name NOT IN ('information_schema', 'pg_catalog') GROUP BY ALL ORDER BY 1",
                    cancellationToken).ConfigureAwait(false);
                return true;
            case "\\d" when parts.Length == 1:
                await RunSqlAsync(
                    // A lakehouse table is a view over its Delta snapshot in the session; to the user it is a table.
                    "SELECT table_schema AS \"schema\", table_name AS \"name\", CASE WHEN table_type = 'VIEW' AND starts_with(TABLE_COMMENT, " +
                    DuckDbConnection.QuoteLiteral(LakehouseSession.ViewCommentPrefix) + ") THEN 'table' ELSE lower(table_type) END AS \"type\" " +
                    "FROM information_schema.tables WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2",
                    cancellationToken).ConfigureAwait(false);
                return true;
            case "\\d":
                await DescribeAsync(parts[1], cancellationToken).ConfigureAwait(false);
                return true;
            default:
                await _error.WriteLineAsync($"Unknown command {command}. Type \\? for help.").ConfigureAwait(false);
                return true;
        }
    }

    private async Task DescribeAsync(string name, CancellationToken cancellationToken)
    {
        string[] parts = name.Split('.', 2);
        string sql = "SELECT column_name AS \"column\", data_type AS \"type\", is_nullable AS \"nullable\" FROM information_schema.columns " +
            "WHERE table_name = $1" + (parts.Length == 2 ? " AND table_schema = $2" : string.Empty) + " ORDER BY table_schema, ordinal_position";
        object?[] parameters = parts.Length == 2 ? [parts[1], parts[0]] : [parts[0]];
        await using DuckDbDataReader reader = await _session.ExecuteReaderAsync(sql, parameters, cancellationToken).ConfigureAwait(false);
        if (!reader.HasRows)
        {
            await _error.WriteLineAsync($"Did not find any table named \"{name}\".").ConfigureAwait(false);
            return;
        }

        ResultWriter.Write(reader, _format, _output);
    }

    private async Task<bool> RunSqlAsync(string sql, CancellationToken cancellationToken)
    {
        // Ctrl-C stops the running query, not the shell.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            _session.Connection.Interrupt();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await _audit.RunAsync(sql, async () =>
            {
                Stopwatch elapsed = Stopwatch.StartNew();
                long rows = 0;
                await using DuckDbDataReader reader = await _session.ExecuteReaderAsync(sql, cancellationToken: cancellationToken).ConfigureAwait(false);
                do
                {
                    if (reader.FieldCount > 0)
                    {
                        rows += ResultWriter.Write(reader, _format, _output, _timing ? elapsed : null);
                    }
                    else if (_format == OutputFormat.Table)
                    {
                        await _output.WriteLineAsync(reader.RecordsAffected >= 0 ? $"({reader.RecordsAffected} rows affected)" : "OK").ConfigureAwait(false);
                    }

                    elapsed.Restart();
                }
                while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
                return (true, rows);
            }).ConfigureAwait(false);
        }
        catch (MedallionException exception)
        {
            await _error.WriteLineAsync($"Error {exception.CodeText}: {exception.Message}").ConfigureAwait(false);
            return false;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static string? HistoryFile()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".medallion_history");
    }
}
