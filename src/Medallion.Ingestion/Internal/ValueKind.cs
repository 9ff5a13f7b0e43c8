namespace Medallion.Ingestion.Internal;

/// <summary>How a column's values are read from the source driver and appended to the staging table.</summary>
internal enum ValueKind
{
    Boolean,
    Int16,
    Int32,
    Int64,
    /// <summary>An unsigned 64-bit integer, staged as DECIMAL(20,0) because the appender takes signed integers.</summary>
    UInt64,
    Decimal,
    Single,
    Double,
    /// <summary>Text; also every value the source query already turned into text (<c>::text</c>, <c>CAST(... AS CHAR)</c>).</summary>
    Text,
    Bytes,
    Date,
    /// <summary>A timestamp without time zone, kept as written.</summary>
    Timestamp,
    /// <summary>An instant, read in UTC.</summary>
    TimestampTz,
    Uuid,
}
