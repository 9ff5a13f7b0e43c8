namespace Medallion.Cli.Output;

/// <summary>How the catalog commands print: for people or for programs.</summary>
internal enum ReportFormat
{
    /// <summary>Aligned tables and labelled sections.</summary>
    Table,
    /// <summary>One JSON document with typed values.</summary>
    Json,
}
