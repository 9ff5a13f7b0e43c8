using Medallion.PgWire.Protocol;

namespace Medallion.PgWire.Internal;

/// <summary>One column of a result as the client sees it: name, PostgreSQL type and wire format.</summary>
internal sealed record ResultColumn(string Name, PgType Type, int TypeModifier, bool Binary);
