namespace Medallion.Ingestion.Internal.Binlog;

/// <summary>The column type codes of table map events (MySQL's enum_field_types).</summary>
internal static class BinlogColumnType
{
    public const byte Decimal = 0;
    public const byte Tiny = 1;
    public const byte Short = 2;
    public const byte Long = 3;
    public const byte Float = 4;
    public const byte Double = 5;
    public const byte Timestamp = 7;
    public const byte LongLong = 8;
    public const byte Int24 = 9;
    public const byte Date = 10;
    public const byte Time = 11;
    public const byte DateTime = 12;
    public const byte Year = 13;
    public const byte VarChar = 15;
    public const byte Bit = 16;
    public const byte Timestamp2 = 17;
    public const byte DateTime2 = 18;
    public const byte Time2 = 19;
    public const byte Json = 245;
    public const byte NewDecimal = 246;
    public const byte Enum = 247;
    public const byte Set = 248;
    public const byte Blob = 252;
    public const byte VarString = 253;
    public const byte String = 254;
    public const byte Geometry = 255;
}
