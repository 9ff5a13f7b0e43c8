using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Medallion.Spark.Protocol;
using ArrowTypes = Apache.Arrow.Types;

namespace Medallion.Spark.Internal;

/// <summary>Names types as Spark SQL writes them, from Spark's <c>DataType</c> or, when only Arrow's schema came, from Arrow's.</summary>
internal static class SparkTypes
{
    public static IReadOnlyList<SparkField> Fields(DataType type) =>
        type.KindCase == DataType.KindOneofCase.Struct
            ? type.Struct.Fields.Select(f => new SparkField(f.Name, Name(f.DataType), f.Nullable)).ToList()
            : [new SparkField("value", Name(type), true)];

    public static IReadOnlyList<SparkField> Fields(Apache.Arrow.Schema schema) =>
        schema.FieldsList.Select(f => new SparkField(f.Name, Name(f.DataType), f.IsNullable)).ToList();

    public static string Name(DataType? type) => type?.KindCase switch
    {
        DataType.KindOneofCase.Null => "void",
        DataType.KindOneofCase.Binary => "binary",
        DataType.KindOneofCase.Boolean => "boolean",
        DataType.KindOneofCase.Byte => "tinyint",
        DataType.KindOneofCase.Short => "smallint",
        DataType.KindOneofCase.Integer => "int",
        DataType.KindOneofCase.Long => "bigint",
        DataType.KindOneofCase.Float => "float",
        DataType.KindOneofCase.Double => "double",
        DataType.KindOneofCase.Decimal => string.Create(CultureInfo.InvariantCulture, $"decimal({(type.Decimal.HasPrecision ? type.Decimal.Precision : 10)},{(type.Decimal.HasScale ? type.Decimal.Scale : 0)})"),
        DataType.KindOneofCase.String => "string",
        DataType.KindOneofCase.Char => string.Create(CultureInfo.InvariantCulture, $"char({type.Char.Length})"),
        DataType.KindOneofCase.VarChar => string.Create(CultureInfo.InvariantCulture, $"varchar({type.VarChar.Length})"),
        DataType.KindOneofCase.Date => "date",
        DataType.KindOneofCase.Timestamp => "timestamp",
        DataType.KindOneofCase.TimestampNtz => "timestamp_ntz",
        DataType.KindOneofCase.CalendarInterval => "interval",
        DataType.KindOneofCase.YearMonthInterval => "interval year to month",
        DataType.KindOneofCase.DayTimeInterval => "interval day to second",
        DataType.KindOneofCase.Array => $"array<{Name(type.Array.ElementType)}>",
        DataType.KindOneofCase.Map => $"map<{Name(type.Map.KeyType)},{Name(type.Map.ValueType)}>",
        DataType.KindOneofCase.Struct => $"struct<{string.Join(",", type.Struct.Fields.Select(f => $"{f.Name}:{Name(f.DataType)}"))}>",
        DataType.KindOneofCase.Variant => "variant",
        DataType.KindOneofCase.Udt => type.Udt.Type,
        DataType.KindOneofCase.Unparsed => type.Unparsed.DataTypeString,
        _ => "unknown",
    };

    public static string Name(ArrowTypes.IArrowType type) => type switch
    {
        ArrowTypes.NullType => "void",
        ArrowTypes.BooleanType => "boolean",
        ArrowTypes.Int8Type => "tinyint",
        ArrowTypes.Int16Type => "smallint",
        ArrowTypes.Int32Type => "int",
        ArrowTypes.Int64Type => "bigint",
        ArrowTypes.FloatType => "float",
        ArrowTypes.DoubleType => "double",
        ArrowTypes.Decimal128Type d => string.Create(CultureInfo.InvariantCulture, $"decimal({d.Precision},{d.Scale})"),
        ArrowTypes.StringType or ArrowTypes.LargeStringType or ArrowTypes.StringViewType => "string",
        ArrowTypes.BinaryType or ArrowTypes.LargeBinaryType => "binary",
        ArrowTypes.Date32Type or ArrowTypes.Date64Type => "date",
        ArrowTypes.TimestampType t => string.IsNullOrEmpty(t.Timezone) ? "timestamp_ntz" : "timestamp",
        ArrowTypes.ListType l => $"array<{Name(l.ValueDataType)}>",
        ArrowTypes.StructType s => $"struct<{string.Join(",", s.Fields.Select(f => $"{f.Name}:{Name(f.DataType)}"))}>",
        _ => type.Name,
    };
}
