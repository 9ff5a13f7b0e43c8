using Medallion.Delta.Schema;

namespace Medallion.Delta.Scans;

/// <summary>One top-level column of a scan and how to find it in the data files.</summary>
/// <param name="LogicalName">The column name SQL sees.</param>
/// <param name="PhysicalName">The column name in the data files (differs under column mapping).</param>
/// <param name="FieldId">The Parquet field id (column mapping <c>id</c> mode), if any.</param>
/// <param name="Type">The logical type (names of nested fields are logical).</param>
/// <param name="PhysicalType">The same type with nested struct field names replaced by their physical names.</param>
/// <param name="IsPartition">True when values come from the log (partition values), not the data files.</param>
public sealed record ScanColumn(string LogicalName, string PhysicalName, int? FieldId, DeltaType Type, DeltaType PhysicalType, bool IsPartition);
