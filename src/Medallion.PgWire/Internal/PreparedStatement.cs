using Medallion.Engine.Sql;

namespace Medallion.PgWire.Internal;

/// <summary>A statement made by Parse: its SQL (null when empty) and parameter types, and its result shape once described.</summary>
internal sealed class PreparedStatement(SqlStatement? statement, int[] parameterTypeOids)
{
    public SqlStatement? Statement { get; } = statement;

    /// <summary>One OID per parameter; 0 where the client left the type to the server.</summary>
    public int[] ParameterTypeOids { get; } = parameterTypeOids;

    /// <summary>The result columns (text format), found on the first Describe; empty for statements without rows.</summary>
    public ResultColumn[]? Columns { get; set; }

    /// <summary>PostgreSQL's names for the result columns the query left unnamed (<see cref="PgColumnNames"/>), once worked out.</summary>
    public string?[]? ColumnNames { get; set; }

    /// <summary>Whether <see cref="ColumnNames"/> has been worked out (it stays null for statements it does not apply to).</summary>
    public bool ColumnNamesKnown { get; set; }
}
