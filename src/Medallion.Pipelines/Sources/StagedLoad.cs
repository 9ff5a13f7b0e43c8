namespace Medallion.Pipelines.Sources;

/// <summary>The query producing every bronze row of a load (streamed by the writer), and how many of them are rejects.</summary>
internal sealed record StagedLoad(string Sql, long RowsRejected);
