using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Google.Protobuf;

namespace Medallion.Spark.Internal;

/// <summary>
/// Reads the Arrow IPC streams of <c>ExecutePlanResponse.arrow_batch</c> (one schema message and its record batches
/// each) and turns Arrow values into .NET values.
/// </summary>
internal static class ArrowBatches
{
    /// <summary>The record batches of one response; their rows must add up to the count the response states.</summary>
    public static List<RecordBatch> Read(ReadOnlyMemory<byte> data, long expectedRows, string operationId)
    {
        var batches = new List<RecordBatch>();
        try
        {
            using var reader = new ArrowStreamReader(data);
            while (reader.ReadNextRecordBatch() is { } batch)
            {
                batches.Add(batch);
            }
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or IndexOutOfRangeException or OverflowException or InvalidOperationException or NotSupportedException or IOException)
        {
            foreach (RecordBatch batch in batches)
            {
                batch.Dispose();
            }

            throw Violation(operationId, $"its Arrow batch cannot be read ({e.Message})", e);
        }

        long rows = batches.Sum(b => (long)b.Length);
        if (rows != expectedRows)
        {
            foreach (RecordBatch batch in batches)
            {
                batch.Dispose();
            }

            throw Violation(operationId, $"an Arrow batch holds {rows} rows but the response says {expectedRows}", null);
        }

        return batches;
    }

    /// <summary>A batch as one Arrow IPC stream (its schema, then the batch), as <c>LocalRelation.data</c> carries it.</summary>
    public static ByteString Write(RecordBatch batch)
    {
        using var stream = new MemoryStream();
        using (var writer = new ArrowStreamWriter(stream, batch.Schema, leaveOpen: true))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }

        return ByteString.CopyFrom(stream.GetBuffer().AsSpan(0, (int)stream.Length));
    }

    /// <summary>The rows of a batch, each an array of .NET values.</summary>
    public static IEnumerable<object?[]> Rows(RecordBatch batch)
    {
        for (int row = 0; row < batch.Length; row++)
        {
            var values = new object?[batch.ColumnCount];
            for (int column = 0; column < values.Length; column++)
            {
                values[column] = Value(batch.Column(column), row);
            }

            yield return values;
        }
    }

    /// <summary>The value at <paramref name="index"/>: null, or the .NET value of the Arrow type.</summary>
    public static object? Value(IArrowArray array, int index)
    {
        if (array.IsNull(index))
        {
            return null;
        }

        return array switch
        {
            BooleanArray a => a.GetValue(index),
            Int8Array a => a.GetValue(index),
            Int16Array a => a.GetValue(index),
            Int32Array a => a.GetValue(index),
            Int64Array a => a.GetValue(index),
            UInt8Array a => a.GetValue(index),
            UInt16Array a => a.GetValue(index),
            UInt32Array a => a.GetValue(index),
            UInt64Array a => a.GetValue(index),
            FloatArray a => a.GetValue(index),
            DoubleArray a => a.GetValue(index),
            StringArray a => a.GetString(index),
            LargeStringArray a => a.GetString(index),
            StringViewArray a => a.GetString(index),
            BinaryArray a => a.GetBytes(index).ToArray(),
            LargeBinaryArray a => a.GetBytes(index).ToArray(),
            Date32Array a => a.GetDateOnly(index),
            Date64Array a => a.GetDateOnly(index),
            // Spark's TIMESTAMP has a time zone in its Arrow type (the session's); TIMESTAMP_NTZ has none.
            TimestampArray a when ((TimestampType)a.Data.DataType).Timezone is { Length: > 0 } => a.GetTimestamp(index),
            TimestampArray a => a.GetTimestamp(index)?.DateTime,
            Decimal128Array a => Decimal(a, index),
            ListArray a => List(a.GetSlicedValues(index)),
            StructArray a => Struct(a, index),
            NullArray => null,
            _ => array.Data.DataType.Name + " value",
        };
    }

    private static object? Decimal(Decimal128Array array, int index)
    {
        try
        {
            return array.GetValue(index);
        }
        catch (OverflowException)
        {
            // More digits than System.Decimal holds (Spark allows 38): the exact value as text.
            return array.GetString(index);
        }
    }

    private static List<object?> List(IArrowArray values)
    {
        var list = new List<object?>(values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            list.Add(Value(values, i));
        }

        return list;
    }

    private static Dictionary<string, object?> Struct(StructArray array, int index)
    {
        var fields = ((StructType)array.Data.DataType).Fields;
        var result = new Dictionary<string, object?>(fields.Count, StringComparer.Ordinal);
        for (int i = 0; i < fields.Count; i++)
        {
            result[fields[i].Name] = Value(array.Fields[i], index);
        }

        return result;
    }

    internal static SparkException Violation(string operationId, string what, Exception? inner) =>
        new(ErrorCode.SparkProtocolViolation,
            $"The Spark Connect server broke the protocol in operation {operationId}: {what}.\nHelp: the server or a proxy in front of it is not speaking Spark Connect as Spark does; check the address and its version.",
            new SparkErrorDetails(what, null, null, [], new Dictionary<string, string>(), null, operationId),
            inner);
}
