namespace Medallion.Ingestion.Internal;

/// <summary>Quoting for SQL sent to PostgreSQL (the session runs with <c>standard_conforming_strings = on</c>).</summary>
internal static class PostgresSql
{
    public static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", System.StringComparison.Ordinal) + "\"";

    public static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", System.StringComparison.Ordinal) + "'";
}
