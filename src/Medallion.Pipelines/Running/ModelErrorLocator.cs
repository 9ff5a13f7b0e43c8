using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Catalog;
using Medallion.DuckDb;

namespace Medallion.Pipelines.Running;

/// <summary>
/// Points DuckDB's error in a model at the model's own file. The runner evaluates the model's SQL as DuckDB gives it back
/// after binding its table references (<see cref="ModelSqlBinder"/>), so DuckDB's <c>LINE 1: ...</c> quotes that
/// regenerated text, which the user never wrote. When an error has such a position, the model's file text (kept whole so
/// positions match the file) is prepared once more where its references resolve under the names it writes, and the
/// position DuckDB gives for the same error is reported as <c>models/silver/orders.sql:39:16</c> with the file's line.
/// </summary>
internal static partial class ModelErrorLocator
{
    // Unlikely to clash with a project's catalog: the diagnosis attaches it for a moment and detaches it again.
    private const string Scope = "__medallion_model_names";
    private const string Statement = "__medallion_model_check";
    private const string Ellipsis = "...";

    /// <summary>A model's error with its place in the model's file.</summary>
    /// <param name="Message">DuckDB's message with its position shown on the file's line instead of the regenerated SQL's.</param>
    /// <param name="Location">The file, line and column.</param>
    public sealed record Located(string Message, SourceLocation Location);

    /// <summary>
    /// The place in <paramref name="model"/>'s file of <paramref name="error"/>, met evaluating its SQL bound to
    /// <paramref name="views"/> (each upstream table's temp view); null when DuckDB gave no position, or when the file's
    /// SQL does not fail the same way (then the error is shown as DuckDB gave it).
    /// </summary>
    public static async Task<Located?> LocateAsync(DuckDbConnection connection, ModelDefinition model, IReadOnlyDictionary<TableName, string> views, DuckDbException error, CancellationToken cancellationToken)
    {
        if (Position.Match(error.Message) is not { Success: true } original)
        {
            return null;
        }

        string? again = await PrepareAsWrittenAsync(connection, model.Sql, views, cancellationToken).ConfigureAwait(false);
        if (again is null || Position.Match(again) is not { Success: true } found || Head(again) != Head(error.Message))
        {
            return null;
        }

        // PREPARE's own words come before the model's text on its first line; the lines are the file's.
        int line = int.Parse(found.Groups["line"].Value, CultureInfo.InvariantCulture);
        string[] lines = model.Sql.Split('\n');
        if (line < 1 || line > lines.Length)
        {
            return null;
        }

        string text = lines[line - 1].TrimEnd('\r');
        int column = ColumnOf(text, found.Groups["context"].Value, found.Groups["caret"].Value.Length - found.Groups["label"].Length, line == 1 ? PreparePrefix.Length : 0);
        var location = new SourceLocation(model.FilePath, line, column);
        string before = error.Message[..original.Index].TrimEnd('\n');
        return new Located($"{before}\n{Frame(line, text, column)}", location);
    }

    private static string PreparePrefix => $"PREPARE {Statement} AS ";

    /// <summary>Prepares the file's SQL with each upstream table under the schema and name the model writes; DuckDB's error, or null when it prepares.</summary>
    private static async Task<string?> PrepareAsWrittenAsync(DuckDbConnection connection, string sql, IReadOnlyDictionary<TableName, string> views, CancellationToken cancellationToken)
    {
        (string database, string schema) = await CurrentAsync(connection, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, $"ATTACH ':memory:' AS {Scope}", cancellationToken).ConfigureAwait(false);
        try
        {
            var statements = new StringBuilder();
            foreach ((TableName table, string view) in views)
            {
                string schemaName = $"{Scope}.{DuckDbConnection.QuoteIdentifier(table.Namespace)}";
                statements.Append(CultureInfo.InvariantCulture, $"CREATE SCHEMA IF NOT EXISTS {schemaName}; ");
                statements.Append(CultureInfo.InvariantCulture, $"CREATE VIEW {schemaName}.{DuckDbConnection.QuoteIdentifier(table.Name)} AS SELECT * FROM temp.main.{DuckDbConnection.QuoteIdentifier(view)}; ");
            }

            if (statements.Length > 0)
            {
                await ExecuteAsync(connection, statements.ToString(), cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, $"USE {Scope}", cancellationToken).ConfigureAwait(false);
            try
            {
                await ExecuteAsync(connection, PreparePrefix + sql, cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, $"DEALLOCATE {Statement}", cancellationToken).ConfigureAwait(false);
                return null;
            }
            catch (DuckDbException e)
            {
                return e.Message;
            }
            finally
            {
                await ExecuteAsync(connection, $"USE {DuckDbConnection.QuoteIdentifier(database)}.{DuckDbConnection.QuoteIdentifier(schema)}", cancellationToken).ConfigureAwait(false);
            }
        }
        catch (DuckDbException)
        {
            // The diagnosis is a courtesy: if the scope cannot be built, the error is shown as DuckDB gave it.
            return null;
        }
        finally
        {
            await ExecuteAsync(connection, $"DETACH {Scope}", cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<(string Database, string Schema)> CurrentAsync(DuckDbConnection connection, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT current_database(), current_schema()";
        DuckDbDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return (reader.GetString(0), reader.GetString(1));
        }
    }

    private static async Task ExecuteAsync(DuckDbConnection connection, string sql, CancellationToken cancellationToken)
    {
        using DuckDbCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The 1-based column of the caret: DuckDB quotes the line (cut to a window marked with "..." when long) and puts
    /// a caret under the error, so the caret's place in the quote plus the quote's place in the line gives the column.
    /// </summary>
    private static int ColumnOf(string line, string context, int caret, int shift)
    {
        string quoted = context;
        int cut = 0;
        if (quoted.StartsWith(Ellipsis, StringComparison.Ordinal))
        {
            quoted = quoted[Ellipsis.Length..];
            cut = Ellipsis.Length;
        }

        if (quoted.EndsWith(Ellipsis, StringComparison.Ordinal))
        {
            quoted = quoted[..^Ellipsis.Length];
        }

        string full = shift > 0 ? PreparePrefix + line : line;
        int start = full.IndexOf(quoted.Trim(), StringComparison.Ordinal);
        if (start < 0)
        {
            return 0;
        }

        int leading = quoted.Length - quoted.TrimStart().Length;
        int column = start - leading + (caret - cut) - shift + 1;
        return column >= 1 && column <= line.Length + 1 ? column : 0;
    }

    /// <summary>The file's line with a caret under the column, as compilers show it.</summary>
    private static string Frame(int line, string text, int column)
    {
        string number = line.ToString(CultureInfo.InvariantCulture);
        string gutter = new(' ', number.Length);
        string frame = $"{number} | {text}";
        return column > 0 ? $"{frame}\n{gutter} | {new string(' ', column - 1)}^" : frame;
    }

    /// <summary>The error's first line: its kind and what went wrong, without the position.</summary>
    private static string Head(string message) => message.Split('\n', 2)[0];

    /// <summary>DuckDB's position block, last in its message: <c>LINE n: context</c>, then a line with a caret.</summary>
    [GeneratedRegex(@"\n(?<label>LINE (?<line>\d+): )(?<context>[^\n]*)\n(?<caret> *)\^\s*$")]
    private static partial Regex PositionPattern();

    private static Regex Position => PositionPattern();
}
