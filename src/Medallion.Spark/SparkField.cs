namespace Medallion.Spark;

/// <summary>One column of a Spark result: its name, its type in Spark SQL's words (<c>bigint</c>, <c>decimal(10,2)</c>, <c>array&lt;string&gt;</c>) and whether it may be null.</summary>
/// <param name="Name">The column's name.</param>
/// <param name="TypeName">The column's type as Spark SQL writes it.</param>
/// <param name="Nullable">True when the column may hold nulls.</param>
public sealed record SparkField(string Name, string TypeName, bool Nullable);
