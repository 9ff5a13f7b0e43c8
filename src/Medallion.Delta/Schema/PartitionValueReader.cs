using System;
using System.Collections.Generic;

namespace Medallion.Delta.Schema;

/// <summary>Reads the partition values of one file action into typed values keyed by logical name.</summary>
internal static class PartitionValueReader
{
    /// <summary>
    /// Looks each partition column up by physical name (falling back to the logical name, which old writers
    /// used) and parses it; <paramref name="where"/> describes the table and version for errors.
    /// </summary>
    public static Dictionary<string, object?> Read(IReadOnlyDictionary<string, string?> raw, IReadOnlyList<StructField> partitionFields, ColumnMappingMode mode, string path, string where)
    {
        var values = new Dictionary<string, object?>(partitionFields.Count, StringComparer.Ordinal);
        foreach (StructField field in partitionFields)
        {
            if (!raw.TryGetValue(field.GetPhysicalName(mode), out string? text))
            {
                raw.TryGetValue(field.Name, out text);
            }

            try
            {
                values[field.Name] = PartitionValues.Parse(text, field.Type);
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new MedallionException(ErrorCode.DeltaInvalidPartitionValue,
                    $"Partition value '{text}' of column '{field.Name}' ({field.Type}) for file '{path}' in {where} cannot be parsed: {e.Message}", e);
            }
        }

        return values;
    }
}
