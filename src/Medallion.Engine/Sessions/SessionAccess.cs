using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Medallion.Delta.Schema;
using Medallion.DuckDb;

namespace Medallion.Engine.Sessions;

/// <summary>How a masked column's values are shown.</summary>
public enum ColumnMaskKind
{
    /// <summary>
    /// Keyed: the same value always gives the same mask, so joins and counts of distinct values still work. Text (and any
    /// type but integers) becomes the hex HMAC-SHA-256 of the value as text; an integer column keeps its type (<c>TINYINT</c>
    /// and <c>SMALLINT</c> become <c>INTEGER</c>) through a keyed permutation, so an id masks to the same number in every column.
    /// </summary>
    Hash,

    /// <summary>The value's shape with its content hidden: an e-mail keeps its first letter and domain (<c>j***@example.com</c>), anything else its last two characters (<c>***.***.***-05</c>).</summary>
    Partial,

    /// <summary>NULL of the column's own type.</summary>
    Null,

    /// <summary>A SQL expression over the column, written with <c>{column}</c> where the column goes.</summary>
    Expression,
}

/// <summary>How one column is masked.</summary>
/// <param name="Kind">The policy.</param>
/// <param name="Expression">The SQL of an <see cref="ColumnMaskKind.Expression"/> mask, with <c>{column}</c>; null otherwise.</param>
public sealed record ColumnMask(ColumnMaskKind Kind, string? Expression = null);

/// <summary>What a user reads of one table: which columns, masked how, and which rows.</summary>
/// <param name="Columns">The columns granted, in order; null for every column.</param>
/// <param name="Masks">Masked columns, by name (case-insensitive).</param>
/// <param name="RowFilter">A SQL predicate over the table's columns that rows must meet, or null for every row.</param>
public sealed record TableAccess(IReadOnlyList<string>? Columns, IReadOnlyDictionary<string, ColumnMask> Masks, string? RowFilter)
{
    /// <summary>The whole table, unmasked.</summary>
    public static TableAccess Everything { get; } = new(null, new Dictionary<string, ColumnMask>(), null);
}

/// <summary>
/// What a session's user may read: the tables granted, each with its columns, masks and row filter. A table not listed
/// is not readable: it does not exist in the user's views and querying it fails with <see cref="ErrorCode.EngineAccessDenied"/>.
/// </summary>
/// <remarks>
/// Guarantees. A restricted user's sessions run on a database of their own, where each readable table is a view whose
/// body is the projection (granted columns, masks, row filter) over the bound Delta scan; there is no unmasked view of a
/// table in that database for any query shape to reach. The key of <see cref="ColumnMaskKind.Hash"/> masks lives in the
/// native memory of a scalar function of that database (<see cref="MaskFunction"/>, a <see cref="DuckDbHmacFunction"/>);
/// the SQL of the views names the function, never the key, and no user statement may call it (<see cref="IsInternalRelation"/>),
/// so nobody can hash guessed values to match them against masked ones.
/// </remarks>
public sealed class SessionAccess
{
    /// <summary>The scalar function computing hash masks with the project's key; no user statement may call it.</summary>
    public const string MaskFunction = "__medallion_mask_hmac";

    /// <summary>The integer form of <see cref="MaskFunction"/> (<c>INTEGER → INTEGER</c>, <c>BIGINT → BIGINT</c>), for columns of integer types.</summary>
    public const string IntegerMaskFunction = "__medallion_mask_hmac_int";

    private readonly Dictionary<string, TableAccess> _tables;
    private readonly byte[] _hashKey;

    /// <summary>Creates the access of <paramref name="user"/>.</summary>
    /// <param name="user">The user's name, for error messages.</param>
    /// <param name="tables">Readable tables by qualified name (<c>ns.name</c>, case-insensitive).</param>
    /// <param name="hashKey">The project's key for hash masks (at most 64 bytes).</param>
    public SessionAccess(string user, IReadOnlyDictionary<string, TableAccess> tables, ReadOnlySpan<byte> hashKey)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(tables);
        if (hashKey.Length > 64)
        {
            throw new ArgumentException("The masking key is at most 64 bytes (one SHA-256 block).", nameof(hashKey));
        }

        User = user;
        _tables = new Dictionary<string, TableAccess>(tables, StringComparer.OrdinalIgnoreCase);
        _hashKey = hashKey.ToArray();
        Fingerprint = ComputeFingerprint();
    }

    /// <summary>The user.</summary>
    public string User { get; }

    /// <summary>
    /// Changes whenever what the user reads changes (grants, masks, filters, key), so a cached database of the user's
    /// views is rebuilt; the key enters only through a hash.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>The user's access to <paramref name="qualifiedName"/>, or null when the user may not read it.</summary>
    public TableAccess? Find(string qualifiedName) => _tables.GetValueOrDefault(qualifiedName);

    /// <summary>Whether a relation or function name is one of the server's own (the mask function), which user SQL may not name.</summary>
    public static bool IsInternalRelation(string name) => name.StartsWith("__medallion", StringComparison.OrdinalIgnoreCase);

    /// <summary>Registers the hash mask function in a user's database (once, before any view that masks with <see cref="ColumnMaskKind.Hash"/>).</summary>
    public void Install(DuckDbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_hashKey.Length > 0)
        {
            DuckDbHmacFunction.Register(connection, MaskFunction, _hashKey);
            DuckDbHmacFunction.RegisterInteger(connection, IntegerMaskFunction, _hashKey);
        }
    }

    /// <summary>The SQL that reads <paramref name="scan"/> (a bound Delta scan) as <paramref name="access"/> allows.</summary>
    /// <param name="scan">The scan's SQL.</param>
    /// <param name="access">What the user reads of the table.</param>
    /// <param name="schema">The table's schema at the scanned version: a hash mask keeps an integer column a number.</param>
    public static string Project(string scan, TableAccess access, StructType schema)
    {
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(access);
        ArgumentNullException.ThrowIfNull(schema);
        string Masked(string column, ColumnMask mask) => MaskSql(column, mask, schema.Find(column)?.Type);
        string Shown(string column) => access.Masks.TryGetValue(column, out ColumnMask? mask) ? Masked(column, mask) : DuckDbConnection.QuoteIdentifier(column);
        // Behind a row filter every column is a barrier, as PostgreSQL's security_barrier views are: DuckDB pushes the
        // user's own predicates down beside the filter and orders them as it likes, so one may run on a row the filter
        // then drops, and an error it raises (a failed cast) would quote that row's value. Each column therefore holds its
        // value only on a row the filter keeps; anything run early on a hidden row sees NULL.
        string Guarded(string column) => access.RowFilter is null ? Shown(column) : $"CASE WHEN ({access.RowFilter}) THEN {Shown(column)} END";
        IEnumerable<string>? listed = access.Columns ?? (access.RowFilter is null ? null : schema.Fields.Select(f => f.Name));
        string select;
        if (listed is null)
        {
            select = access.Masks.Count == 0 ? "*"
                : "* REPLACE (" + string.Join(", ", access.Masks.Select(m => Masked(m.Key, m.Value) + " AS " + DuckDbConnection.QuoteIdentifier(m.Key))) + ")";
        }
        else
        {
            select = string.Join(", ", listed.Select(column => Guarded(column) + " AS " + DuckDbConnection.QuoteIdentifier(column)));
        }

        string where = access.RowFilter is null ? string.Empty : " WHERE (" + access.RowFilter + ")";
        return $"SELECT {select} FROM ({scan}) AS __scan{where}";
    }

    private static string MaskSql(string column, ColumnMask mask, DeltaType? type)
    {
        string c = DuckDbConnection.QuoteIdentifier(column);
        string text = $"CAST({c} AS VARCHAR)";
        return mask.Kind switch
        {
            ColumnMaskKind.Hash when type == PrimitiveType.Long || type == PrimitiveType.Integer => $"{IntegerMaskFunction}({c})",
            // DuckDB would bind these to the BIGINT overload; INTEGER is the narrower type that holds them.
            ColumnMaskKind.Hash when type == PrimitiveType.Byte || type == PrimitiveType.Short => $"{IntegerMaskFunction}(CAST({c} AS INTEGER))",
            ColumnMaskKind.Hash => $"{MaskFunction}({text})",
            ColumnMaskKind.Partial =>
                $"CASE WHEN {text} LIKE '%_@_%' THEN left({text}, 1) || '***' || substr({text}, strpos({text}, '@')) "
                + $"WHEN length({text}) <= 2 THEN repeat('*', length({text})) "
                + $"ELSE regexp_replace(left({text}, -2), '[0-9A-Za-z]', '*', 'g') || right({text}, 2) END",
            // CASE without ELSE keeps the column's type.
            ColumnMaskKind.Null => $"CASE WHEN false THEN {c} END",
            ColumnMaskKind.Expression => "(" + (mask.Expression ?? throw new ArgumentException("An expression mask needs its expression.", nameof(mask))).Replace("{column}", c, StringComparison.Ordinal) + ")",
            _ => throw new ArgumentOutOfRangeException(nameof(mask), mask.Kind, null),
        };
    }

    // What the fingerprint projects over: it follows the access, not a table's types.
    private static readonly StructType s_noSchema = new([]);

    private string ComputeFingerprint()
    {
        var text = new StringBuilder();
        foreach ((string name, TableAccess access) in _tables.OrderBy(t => t.Key, StringComparer.OrdinalIgnoreCase))
        {
            text.Append(name.ToLowerInvariant()).Append('\u0001').Append(Project("", access, s_noSchema)).Append('\u0002');
        }

        text.Append(Convert.ToHexString(SHA256.HashData(_hashKey)));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
