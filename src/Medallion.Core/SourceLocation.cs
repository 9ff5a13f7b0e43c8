namespace Medallion;

/// <summary>A place in a user-written file: 1-based line and column; 0 when unknown.</summary>
/// <param name="File">The path as the user knows it (relative to the project when inside one).</param>
/// <param name="Line">1-based line, or 0 when unknown.</param>
/// <param name="Column">1-based column, or 0 when unknown.</param>
public sealed record SourceLocation(string File, int Line = 0, int Column = 0)
{
    /// <summary>Formats as <c>file:line:column</c>, leaving out what is unknown.</summary>
    public override string ToString() => Line <= 0 ? File : Column <= 0 ? $"{File}:{Line}" : $"{File}:{Line}:{Column}";
}
