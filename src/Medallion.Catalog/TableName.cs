using System;

namespace Medallion.Catalog;

/// <summary>A table's two-part name, <c>namespace.name</c> (e.g. <c>silver.orders</c>), compared case-insensitively.</summary>
/// <param name="Namespace">The namespace (layer), e.g. <c>bronze</c>, <c>silver</c>, <c>gold</c>.</param>
/// <param name="Name">The table name inside the namespace.</param>
public readonly record struct TableName(string Namespace, string Name)
{
    /// <summary>Parses <c>namespace.name</c>.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.TableNameInvalid"/>: the text is not two non-empty parts separated by one dot.</exception>
    public static TableName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out TableName name))
        {
            throw new MedallionException(ErrorCode.TableNameInvalid, $"'{text}' is not a table name. Help: write it as namespace.name, e.g. silver.orders.");
        }

        return name;
    }

    /// <summary>Parses <c>namespace.name</c>, returning false when the text is not one.</summary>
    public static bool TryParse(string? text, out TableName name)
    {
        name = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        int dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == text.Length - 1 || text.IndexOf('.', dot + 1) >= 0)
        {
            return false;
        }

        name = new TableName(text[..dot].Trim(), text[(dot + 1)..].Trim());
        return name.Namespace.Length > 0 && name.Name.Length > 0;
    }

    /// <summary>True when both parts match, ignoring case (DuckDB identifiers are case-insensitive).</summary>
    public bool Equals(TableName other) =>
        string.Equals(Namespace, other.Namespace, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(Namespace ?? string.Empty), StringComparer.OrdinalIgnoreCase.GetHashCode(Name ?? string.Empty));

    /// <summary>Formats as <c>namespace.name</c>.</summary>
    public override string ToString() => Namespace + "." + Name;
}
