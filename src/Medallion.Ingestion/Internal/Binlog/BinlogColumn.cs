using System.Collections.Generic;
using System.Text;

namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>
/// What the binlog does not say about a column and its decoding needs, read from <c>information_schema.COLUMNS</c>
/// when the stream starts (MariaDB's table map carries no signedness, character set or ENUM labels by default).
/// </summary>
/// <param name="Name">The column.</param>
/// <param name="DataType">information_schema's DATA_TYPE (<c>int</c>, <c>uuid</c>, <c>enum</c>, ...).</param>
/// <param name="Unsigned">An unsigned integer column.</param>
/// <param name="Encoding">The text's character set; null for binary columns.</param>
/// <param name="OctetLength">The byte length of a BINARY(n) column, whose trailing zero bytes the binlog leaves out.</param>
/// <param name="Labels">The ENUM or SET labels, in definition order.</param>
/// <param name="Plan">How the column lands (the same plan as a full load's).</param>
internal sealed record BinlogColumn(string Name, string DataType, bool Unsigned, Encoding? Encoding, long? OctetLength, IReadOnlyList<string> Labels, ColumnPlan Plan);
