namespace Medallion.Cli.Output;

/// <summary>How a command prints rows.</summary>
internal enum OutputFormat
{
    /// <summary>Aligned columns for people, with the row count and elapsed time.</summary>
    Table,
    /// <summary>RFC 4180 CSV with a header row.</summary>
    Csv,
    /// <summary>A JSON array of row objects with typed values.</summary>
    Json,
    /// <summary>A GitHub-flavoured Markdown table.</summary>
    Markdown,
}
