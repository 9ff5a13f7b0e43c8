using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using Medallion.DuckDb;

namespace Medallion.Engine.Sessions;

/// <summary>
/// Points the table references of a SELECT at other relations through DuckDB's own parser, the rewrite the sessions
/// use for time travel: the SQL goes through <c>json_serialize_sql</c>, every <c>BASE_TABLE</c> the caller redirects
/// reads <c>temp.main.&lt;relation&gt;</c> instead, and <c>json_deserialize_sql</c> gives the SQL back. Text is never patched.
/// </summary>
public static class TableRedirector
{
    /// <summary>
    /// The SQL of <paramref name="sql"/> with each table reference for which <paramref name="redirect"/> (given the
    /// reference's schema and table name as written) returns a relation name reading that temp relation instead.
    /// SQL that is not a SELECT, or that references no table the caller redirects, comes back unchanged (so running
    /// SQL that is not a SELECT reports DuckDB's own error).
    /// </summary>
    public static async Task<string> RedirectAsync(DuckDbConnection connection, string sql, Func<string, string, string?> redirect, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(redirect);
        ParsedStatement parsed = await ParsedStatement.ParseAsync(connection, sql, cancellationToken).ConfigureAwait(false);
        if (!parsed.IsSelect)
        {
            return sql;
        }

        bool redirected = false;
        foreach (TableReference reference in parsed.References)
        {
            if (redirect(reference.Schema, reference.Table) is { } relation)
            {
                reference.RedirectTo("temp", "main", relation);
                redirected = true;
            }
        }

        return redirected ? await parsed.ToSqlAsync(connection, cancellationToken).ConfigureAwait(false) : sql;
    }

    /// <summary>
    /// The text of <paramref name="sql"/> with the name of each table reference for which <paramref name="replace"/>
    /// (given the reference's schema, table name and alias as written) returns text put in that text's place; the rest
    /// of the text (its dialect, comments, spacing) is kept as written. This is the rewrite for SQL another engine runs,
    /// Spark SQL within what DuckDB parses: DuckDB's parser finds the references and their places in the text
    /// (<c>query_location</c>), but DuckDB does not re-render the SQL in its own dialect.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EngineUnsupportedStatement"/> when the text is not a SELECT DuckDB parses,
    /// or a reference to replace has no place in the text.</exception>
    public static Task<string> ReplaceNamesAsync(DuckDbConnection connection, string sql, Func<string, string, string?, string?> replace, CancellationToken cancellationToken = default) =>
        ReplaceNamesAsync(connection, sql, replace, null, cancellationToken);

    /// <summary>
    /// As <see cref="ReplaceNamesAsync(DuckDbConnection, string, Func{string, string, string?, string?}, CancellationToken)"/>,
    /// and each call <c>getvariable('name')</c> (DuckDB's session variables, which another engine does not have) is
    /// replaced, whole, by the text <paramref name="replaceVariable"/> gives for its name: the variable's value as a
    /// literal of the other engine's dialect.
    /// </summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.EngineUnsupportedStatement"/> as the other overload, and
    /// for a <c>getvariable</c> whose name is not a constant string written in the call.</exception>
    public static async Task<string> ReplaceNamesAsync(DuckDbConnection connection, string sql, Func<string, string, string?, string?> replace, Func<string, string>? replaceVariable, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(replace);
        ParsedStatement parsed = await ParsedStatement.ParseAsync(connection, sql, cancellationToken).ConfigureAwait(false);
        if (!parsed.IsSelect)
        {
            throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"Only a SELECT can have its tables replaced, and DuckDB's parser reads this SQL otherwise: {parsed.SyntaxError ?? "not a SELECT"}.");
        }

        var edits = new List<(int Start, int Length, string Text)>();
        foreach (TableReference reference in parsed.References.Where(r => !r.NamesCte))
        {
            string? alias = (string?)reference.Node["alias"];
            if (replace(reference.Schema, reference.Table, string.IsNullOrEmpty(alias) ? null : alias) is not { } text)
            {
                continue;
            }

            // DuckDB writes 2^64-1 for a position it does not know; the position is a byte offset into the UTF-8 text.
            if (reference.Node["query_location"] is not System.Text.Json.Nodes.JsonValue at || !at.TryGetValue(out ulong bytes) || bytes >= (ulong)Encoding.UTF8.GetByteCount(sql))
            {
                throw new MedallionException(ErrorCode.EngineUnsupportedStatement, $"DuckDB's parser gives no place in the text for the reference to {reference.Schema}.{reference.Table}, so it cannot be replaced.");
            }

            int start = CharOffset(sql, (int)bytes);
            edits.Add((start, NameLength(sql, start), text));
        }

        if (replaceVariable is not null)
        {
            foreach (JsonObject call in VariableCalls(parsed.Tree!))
            {
                edits.Add(VariableEdit(sql, call, replaceVariable));
            }
        }

        var rewritten = new StringBuilder(sql);
        foreach ((int start, int length, string text) in edits.OrderByDescending(e => e.Start))
        {
            rewritten.Remove(start, length).Insert(start, text);
        }

        return rewritten.ToString();
    }

    /// <summary>The <c>getvariable(...)</c> calls in a statement's tree (DuckDB's FUNCTION nodes of that name, anywhere).</summary>
    private static IEnumerable<JsonObject> VariableCalls(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            if ((string?)obj["class"] == "FUNCTION" && string.Equals((string?)obj["function_name"], "getvariable", StringComparison.OrdinalIgnoreCase))
            {
                yield return obj;
            }

            foreach (KeyValuePair<string, JsonNode?> property in obj)
            {
                foreach (JsonObject call in property.Value is null ? [] : VariableCalls(property.Value))
                {
                    yield return call;
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (JsonNode? item in array)
            {
                foreach (JsonObject call in item is null ? [] : VariableCalls(item))
                {
                    yield return call;
                }
            }
        }
    }

    /// <summary>
    /// The edit replacing one <c>getvariable('name')</c> call, from its name to its closing parenthesis. Only a call
    /// whose one argument is a string literal is replaced: a computed name is known only when the query runs.
    /// </summary>
    private static (int Start, int Length, string Text) VariableEdit(string sql, JsonObject call, Func<string, string> replaceVariable)
    {
        JsonArray? arguments = call["children"] as JsonArray;
        string? name = arguments is [JsonObject { } argument] && (string?)argument["class"] == "CONSTANT" && argument["value"] is JsonObject value
            && value["value"] is JsonValue text && text.TryGetValue(out string? constant)
            ? constant
            : null;
        int start = call["query_location"] is JsonValue at && at.TryGetValue(out ulong bytes) && bytes < (ulong)Encoding.UTF8.GetByteCount(sql)
            ? CharOffset(sql, (int)bytes)
            : -1;
        int length = name is null || start < 0 ? -1 : LiteralCallLength(sql, start);
        if (length < 0)
        {
            throw new MedallionException(
                ErrorCode.EngineUnsupportedStatement,
                $"A getvariable call{(start < 0 ? string.Empty : " at " + LineAndColumn(sql, start))} does not name its variable with one string literal (getvariable('name')), so its value cannot be written in its place.");
        }

        return (start, length, replaceVariable(name!));
    }

    /// <summary>Where <paramref name="offset"/> is in <paramref name="sql"/>, as people count: <c>line 4, column 8</c>.</summary>
    private static string LineAndColumn(string sql, int offset)
    {
        int lineStart = sql.LastIndexOf('\n', Math.Max(offset - 1, 0)) + 1;
        int line = sql.AsSpan(0, lineStart).Count('\n') + 1;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"line {line}, column {offset - lineStart + 1}");
    }

    /// <summary>The length of <c>name ( 'literal' )</c> starting at <paramref name="start"/>, spaces allowed between the parts; -1 for text of another shape.</summary>
    private static int LiteralCallLength(string sql, int start)
    {
        int i = start + NameLength(sql, start);
        int Skip(int at)
        {
            while (at < sql.Length && char.IsWhiteSpace(sql[at]))
            {
                at++;
            }

            return at;
        }

        i = Skip(i);
        if (i >= sql.Length || sql[i] != '(')
        {
            return -1;
        }

        i = Skip(i + 1);
        if (i >= sql.Length || sql[i] != '\'')
        {
            return -1;
        }

        // A SQL string literal: a quote inside is doubled.
        for (i++; i < sql.Length; i++)
        {
            if (sql[i] == '\'' && !(i + 1 < sql.Length && sql[i + 1] == '\''))
            {
                break;
            }

            i += sql[i] == '\'' ? 1 : 0;
        }

        i = Skip(i + 1);
        return i < sql.Length && sql[i] == ')' ? i + 1 - start : -1;
    }

    private static int CharOffset(string text, int byteOffset)
    {
        int bytes = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (bytes >= byteOffset)
            {
                return i;
            }

            bytes += char.IsSurrogatePair(text, i) ? 4 : Encoding.UTF8.GetByteCount(text.AsSpan(i, 1));
            if (char.IsSurrogatePair(text, i))
            {
                i++;
            }
        }

        return text.Length;
    }

    /// <summary>The length of the (possibly qualified, possibly quoted) name that starts at <paramref name="start"/>: <c>silver.orders</c>, <c>"silver"."orders"</c>.</summary>
    private static int NameLength(string sql, int start)
    {
        int i = start;
        while (true)
        {
            if (i < sql.Length && sql[i] is '"' or '`')
            {
                char quote = sql[i++];
                while (i < sql.Length && !(sql[i] == quote && (i + 1 >= sql.Length || sql[i + 1] != quote)))
                {
                    i += sql[i] == quote ? 2 : 1;
                }

                i++;
            }
            else
            {
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] is '_' or '$'))
                {
                    i++;
                }
            }

            int next = i;
            while (next < sql.Length && char.IsWhiteSpace(sql[next]))
            {
                next++;
            }

            if (next >= sql.Length || sql[next] != '.')
            {
                return Math.Min(i, sql.Length) - start;
            }

            i = next + 1;
            while (i < sql.Length && char.IsWhiteSpace(sql[i]))
            {
                i++;
            }
        }
    }
}
