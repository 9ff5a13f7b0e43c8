using System;
using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace Medallion.DuckDb;

/// <summary>
/// A statement parameter. Named parameters match <c>$name</c> in the SQL (a leading <c>$</c>,
/// <c>@</c> or <c>:</c> in <see cref="ParameterName"/> is ignored); unnamed ones bind by position
/// to <c>?</c> or <c>$1</c>, <c>$2</c>, ...
/// </summary>
public sealed class DuckDbParameter : DbParameter
{
    private string _name = string.Empty;

    /// <summary>Creates an unnamed parameter with a null value.</summary>
    public DuckDbParameter()
    {
    }

    /// <summary>Creates an unnamed (positional) parameter.</summary>
    public DuckDbParameter(object? value)
    {
        Value = value;
    }

    /// <summary>Creates a named parameter.</summary>
    public DuckDbParameter(string name, object? value)
    {
        ParameterName = name;
        Value = value;
    }

    /// <inheritdoc />
    public override DbType DbType { get; set; } = DbType.Object;

    /// <inheritdoc />
    public override ParameterDirection Direction
    {
        get => ParameterDirection.Input;
        set
        {
            if (value != ParameterDirection.Input)
            {
                throw new ArgumentException("DuckDB supports input parameters only.", nameof(value));
            }
        }
    }

    /// <inheritdoc />
    public override bool IsNullable { get; set; } = true;

    /// <inheritdoc />
    [AllowNull]
    public override string ParameterName
    {
        get => _name;
        set => _name = value ?? string.Empty;
    }

    /// <summary>The name as DuckDB reports it: without the leading <c>$</c>, <c>@</c> or <c>:</c>.</summary>
    internal string NormalizedName => _name.TrimStart('$', '@', ':');

    /// <inheritdoc />
    [AllowNull]
    public override string SourceColumn { get; set; } = string.Empty;

    /// <inheritdoc />
    public override bool SourceColumnNullMapping { get; set; }

    /// <inheritdoc />
    public override object? Value { get; set; }

    /// <inheritdoc />
    public override int Size { get; set; }

    /// <inheritdoc />
    public override void ResetDbType() => DbType = DbType.Object;
}
