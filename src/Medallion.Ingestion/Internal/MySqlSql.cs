namespace Medallion.Ingestion.Internal;

/// <summary>Quoting for SQL sent to MySQL and MariaDB.</summary>
internal static class MySqlSql
{
    public static string QuoteIdentifier(string identifier) => "`" + identifier.Replace("`", "``", System.StringComparison.Ordinal) + "`";
}
