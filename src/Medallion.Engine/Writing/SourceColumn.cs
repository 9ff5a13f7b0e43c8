using Medallion.Delta.Schema;

namespace Medallion.Engine.Writing;

/// <summary>A column of a source query: its name, DuckDB type text and Delta type (null when Delta cannot store it).</summary>
internal sealed record SourceColumn(string Name, string DuckDbType, DeltaType? Type, string? Unsupported);
