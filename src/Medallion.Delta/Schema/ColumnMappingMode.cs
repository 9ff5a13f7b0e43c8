namespace Medallion.Delta.Schema;

/// <summary>How data file columns are matched to table columns (PROTOCOL.md "Column Mapping").</summary>
public enum ColumnMappingMode
{
    /// <summary>By logical name.</summary>
    None,
    /// <summary>By the physical name in <c>delta.columnMapping.physicalName</c>.</summary>
    Name,
    /// <summary>By the Parquet field id in <c>delta.columnMapping.id</c>.</summary>
    Id,
}
