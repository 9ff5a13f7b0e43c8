namespace Medallion.Engine;

/// <summary>How a write treats the rows already in the table.</summary>
public enum DeltaWriteMode
{
    /// <summary>Add the rows; existing rows stay.</summary>
    Append,

    /// <summary>Replace every row (or, with <see cref="DeltaWriteOptions.ReplaceWhere"/>, the rows matching it).</summary>
    Overwrite,
}
