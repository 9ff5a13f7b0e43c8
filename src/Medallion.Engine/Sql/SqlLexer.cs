using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Medallion.Engine.Sql;

/// <summary>The kinds of token the lexer tells apart.</summary>
public enum SqlTokenKind
{
    /// <summary>A keyword or unquoted identifier; its value is upper-cased.</summary>
    Word,
    /// <summary>A <c>"quoted"</c> identifier; its value is the name inside the quotes.</summary>
    QuotedIdentifier,
    /// <summary>A string constant (<c>'...'</c>, <c>E'...'</c> or dollar-quoted); its value is the contents.</summary>
    String,
    /// <summary>A numeric constant.</summary>
    Number,
    /// <summary>A positional parameter, <c>$1</c>.</summary>
    Parameter,
    /// <summary>Any other single character: operators, parentheses, commas.</summary>
    Symbol,
}

/// <summary>A token; <see cref="Value"/> is the unquoted text (string contents, identifier name, upper-cased keyword), <see cref="Raw"/> the text as written.</summary>
/// <remarks><see cref="Start"/> and <see cref="End"/> are offsets in the statement's <see cref="SqlStatement.Text"/>.</remarks>
/// <param name="Kind">What the token is.</param>
/// <param name="Value">The unquoted text.</param>
/// <param name="Raw">The text as written.</param>
/// <param name="Start">Where the token starts in its statement's text.</param>
/// <param name="End">Where the token ends (exclusive) in its statement's text.</param>
public readonly record struct SqlToken(SqlTokenKind Kind, string Value, string Raw, int Start, int End);

/// <summary>One statement of a query string: its text and tokens, and the highest <c>$n</c> it uses.</summary>
/// <param name="Text">The statement's text, from its first token to its end, without the semicolon.</param>
/// <param name="Tokens">Its tokens, with offsets into <paramref name="Text"/>.</param>
/// <param name="ParameterCount">The highest <c>$n</c> it uses (0 for none; a number too large for an <see cref="int"/> counts as <see cref="int.MaxValue"/>).</param>
public sealed record SqlStatement(string Text, IReadOnlyList<SqlToken> Tokens, int ParameterCount)
{
    /// <summary>The upper-cased keyword at token <paramref name="index"/>, or an empty string when that token is not a word.</summary>
    public string Keyword(int index) => index < Tokens.Count && Tokens[index].Kind == SqlTokenKind.Word ? Tokens[index].Value : string.Empty;
}

/// <summary>
/// Splits a query string into statements at top-level semicolons and tokenizes them, following
/// PostgreSQL's lexical rules (https://www.postgresql.org/docs/current/sql-syntax-lexical.html):
/// quoted strings and identifiers, E'' escapes, dollar quoting, nested block comments. It does
/// not parse SQL (DuckDB does); it finds statement boundaries and the leading keywords that
/// decide how a statement is handled (the wire server runs SET, SHOW, BEGIN itself; a read-only session
/// finds the statement an EXPLAIN or PREPARE wraps).
/// </summary>
public static class SqlLexer
{
    /// <summary>The statements of <paramref name="sql"/>, in order; statements of only blanks and comments are left out.</summary>
    public static List<SqlStatement> Split(string sql)
    {
        var statements = new List<SqlStatement>();
        var tokens = new List<SqlToken>();
        int maxParameter = 0;
        int i = 0;
        while (i < sql.Length)
        {
            char c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && At(sql, i + 1) == '-')
            {
                while (i < sql.Length && sql[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && At(sql, i + 1) == '*')
            {
                i = SkipBlockComment(sql, i);
            }
            else if (c == ';')
            {
                Add(statements, sql, i, tokens, maxParameter);
                tokens = [];
                maxParameter = 0;
                i++;
            }
            else if (c == '\'')
            {
                i = ReadString(sql, i, i, escapes: false, tokens);
            }
            else if ((c is 'E' or 'e') && At(sql, i + 1) == '\'')
            {
                i = ReadString(sql, i, i + 1, escapes: true, tokens);
            }
            else if (c == '"')
            {
                int end = i + 1;
                var name = new StringBuilder();
                while (end < sql.Length)
                {
                    if (sql[end] == '"')
                    {
                        if (At(sql, end + 1) == '"')
                        {
                            name.Append('"');
                            end += 2;
                            continue;
                        }

                        break;
                    }

                    name.Append(sql[end++]);
                }

                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, name.ToString(), sql[i..Math.Min(end + 1, sql.Length)], i, Math.Min(end + 1, sql.Length)));
                i = Math.Min(end + 1, sql.Length);
            }
            else if (c == '$' && char.IsAsciiDigit(At(sql, i + 1)))
            {
                int end = i + 1;
                while (end < sql.Length && char.IsAsciiDigit(sql[end]))
                {
                    end++;
                }

                // A number past int's range still counts, as the largest: callers refuse it rather than miss it.
                maxParameter = Math.Max(maxParameter, int.TryParse(sql.AsSpan(i + 1, end - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int number) ? number : int.MaxValue);

                tokens.Add(new SqlToken(SqlTokenKind.Parameter, sql[i..end], sql[i..end], i, end));
                i = end;
            }
            else if (c == '$' && TryDollarTag(sql, i, out string tag))
            {
                int bodyStart = i + tag.Length;
                int end = sql.IndexOf(tag, bodyStart, StringComparison.Ordinal);
                int stop = end < 0 ? sql.Length : end + tag.Length;
                tokens.Add(new SqlToken(SqlTokenKind.String, end < 0 ? sql[bodyStart..] : sql[bodyStart..end], sql[i..stop], i, stop));
                i = stop;
            }
            else if (char.IsLetter(c) || c == '_' || c > 127)
            {
                int end = i;
                while (end < sql.Length && (char.IsLetterOrDigit(sql[end]) || sql[end] is '_' or '$' || sql[end] > 127))
                {
                    end++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Word, sql[i..end].ToUpperInvariant(), sql[i..end], i, end));
                i = end;
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(At(sql, i + 1))))
            {
                int end = i;
                while (end < sql.Length && (char.IsAsciiLetterOrDigit(sql[end]) || sql[end] is '.' or '_'))
                {
                    end++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Number, sql[i..end], sql[i..end], i, end));
                i = end;
            }
            else
            {
                tokens.Add(new SqlToken(SqlTokenKind.Symbol, c.ToString(), c.ToString(), i, i + 1));
                i++;
            }
        }

        Add(statements, sql, sql.Length, tokens, maxParameter);
        return statements;
    }

    private static void Add(List<SqlStatement> statements, string sql, int end, List<SqlToken> tokens, int maxParameter)
    {
        // A statement of only whitespace and comments is no statement (PostgreSQL's EmptyQueryResponse).
        if (tokens.Count == 0)
        {
            return;
        }

        // The text runs from the first token to the end (trailing comments kept), so token offsets stay valid.
        int first = tokens[0].Start;
        string text = sql[first..end].TrimEnd();
        for (int i = 0; i < tokens.Count; i++)
        {
            tokens[i] = tokens[i] with { Start = tokens[i].Start - first, End = tokens[i].End - first };
        }

        statements.Add(new SqlStatement(text, tokens, maxParameter));
    }

    private static char At(string sql, int index) => index < sql.Length ? sql[index] : '\0';

    private static int SkipBlockComment(string sql, int i)
    {
        int depth = 0;
        while (i < sql.Length)
        {
            if (sql[i] == '/' && At(sql, i + 1) == '*')
            {
                depth++;
                i += 2;
            }
            else if (sql[i] == '*' && At(sql, i + 1) == '/')
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                i++;
            }
        }

        return i;
    }

    private static int ReadString(string sql, int start, int quote, bool escapes, List<SqlToken> tokens)
    {
        var value = new StringBuilder();
        int i = quote + 1;
        while (i < sql.Length)
        {
            char c = sql[i];
            if (escapes && c == '\\' && i + 1 < sql.Length)
            {
                value.Append(sql[i + 1] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', char other => other });
                i += 2;
                continue;
            }

            if (c == '\'')
            {
                if (At(sql, i + 1) == '\'')
                {
                    value.Append('\'');
                    i += 2;
                    continue;
                }

                i++;
                break;
            }

            value.Append(c);
            i++;
        }

        tokens.Add(new SqlToken(SqlTokenKind.String, value.ToString(), sql[start..i], start, i));
        return i;
    }

    private static bool TryDollarTag(string sql, int i, out string tag)
    {
        int end = i + 1;
        while (end < sql.Length && (char.IsLetterOrDigit(sql[end]) || sql[end] == '_'))
        {
            end++;
        }

        if (end < sql.Length && sql[end] == '$')
        {
            tag = sql[i..(end + 1)];
            return true;
        }

        tag = string.Empty;
        return false;
    }
}
