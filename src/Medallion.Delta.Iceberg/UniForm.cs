using System;
using System.Collections.Generic;
using Medallion.Delta.Schema;

namespace Medallion.Delta.Iceberg;

/// <summary>
/// Delta UniForm's table properties and the rules a table must keep for its Iceberg metadata to be written (PROTOCOL.md,
/// "Iceberg Compatibility V2"): <c>delta.universalFormat.enabledFormats = iceberg</c> asks for Iceberg metadata beside
/// the log, which needs <c>delta.enableIcebergCompatV2 = true</c>, column mapping (<c>name</c> or <c>id</c>) and no
/// deletion vectors.
/// </summary>
public static class UniForm
{
    /// <summary>The table property listing the formats whose metadata each commit also writes (<c>iceberg</c>).</summary>
    public const string EnabledFormatsProperty = "delta.universalFormat.enabledFormats";

    /// <summary>The table property that turns the <c>icebergCompatV2</c> writer feature on.</summary>
    public const string IcebergCompatV2Property = "delta.enableIcebergCompatV2";

    /// <summary>The table property of the older <c>icebergCompatV1</c> feature, which this writer does not write.</summary>
    public const string IcebergCompatV1Property = "delta.enableIcebergCompatV1";

    /// <summary>The writer feature a table with <see cref="IcebergCompatV2Property"/> lists in its protocol.</summary>
    public const string IcebergCompatV2Feature = "icebergCompatV2";

    /// <summary>Whether <paramref name="configuration"/> asks for Iceberg metadata (<see cref="EnabledFormatsProperty"/> names <c>iceberg</c>).</summary>
    /// <param name="configuration">A table's properties.</param>
    public static bool IsEnabled(IReadOnlyDictionary<string, string?> configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (!configuration.TryGetValue(EnabledFormatsProperty, out string? formats) || formats is null)
        {
            return false;
        }

        foreach (string format in formats.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (string.Equals(format, "iceberg", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Throws unless a table with <paramref name="configuration"/>, <paramref name="schema"/> and
    /// <paramref name="partitionColumns"/> keeps the rules of the UniForm properties it sets. A table that sets none of
    /// them passes.
    /// </summary>
    /// <param name="configuration">The table's properties as they will be committed (column mapping already chosen).</param>
    /// <param name="schema">The table's schema.</param>
    /// <param name="partitionColumns">The table's partition columns.</param>
    /// <param name="table">The table as messages name it, e.g. <c>the Delta table at 's3://lake/silver/orders'</c>.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.UniFormConfigurationInvalid"/> naming the rule broken and what to change.</exception>
    public static void Validate(IReadOnlyDictionary<string, string?> configuration, StructType schema, IReadOnlyList<string> partitionColumns, string table)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(partitionColumns);
        if (configuration.TryGetValue(EnabledFormatsProperty, out string? formats) && formats is not null)
        {
            foreach (string format in formats.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!string.Equals(format, "iceberg", StringComparison.OrdinalIgnoreCase))
                {
                    throw Invalid(table, $"{EnabledFormatsProperty} names '{format}', a format this writer does not write", $"set {EnabledFormatsProperty} = iceberg");
                }
            }
        }

        bool compatV2 = IsTrue(configuration, IcebergCompatV2Property);
        if (IsTrue(configuration, IcebergCompatV1Property))
        {
            throw Invalid(table, $"{IcebergCompatV1Property} is set; this writer keeps IcebergCompatV2 only", $"set {IcebergCompatV2Property} = true instead");
        }

        if (IsEnabled(configuration) && !compatV2)
        {
            throw Invalid(table, $"{EnabledFormatsProperty} = iceberg needs {IcebergCompatV2Property} = true", $"add {IcebergCompatV2Property}: true to the table properties");
        }

        if (!compatV2)
        {
            return;
        }

        if (IsTrue(configuration, "delta.enableDeletionVectors"))
        {
            throw Invalid(table, "IcebergCompatV2 and deletion vectors (delta.enableDeletionVectors = true) cannot both be enabled: Iceberg readers would see deleted rows", "remove delta.enableDeletionVectors, or UniForm");
        }

        if (!configuration.TryGetValue("delta.columnMapping.mode", out string? mode) || mode is null
            || !(string.Equals(mode, "name", StringComparison.OrdinalIgnoreCase) || string.Equals(mode, "id", StringComparison.OrdinalIgnoreCase)))
        {
            throw Invalid(table, $"IcebergCompatV2 needs column mapping (delta.columnMapping.mode name or id), and the table's mode is '{mode ?? "none"}'", "create the table with delta.columnMapping.mode = name (a table's mode cannot change once written)");
        }

        if (partitionColumns.Count > 0)
        {
            throw Invalid(table, $"the table is partitioned by {string.Join(", ", partitionColumns)}, and this writer converts unpartitioned tables only", "leave partition_by out of UniForm tables");
        }

        foreach (StructField field in schema.Fields)
        {
            if (IcebergSchema.Unsupported(field.Type) is { } type)
            {
                throw Invalid(table, $"column '{field.Name}' has type {type}, which this writer does not convert to Iceberg (arrays and maps need nested field ids it does not assign)", "keep UniForm tables to primitive and struct columns");
            }
        }
    }

    private static bool IsTrue(IReadOnlyDictionary<string, string?> configuration, string key) =>
        configuration.TryGetValue(key, out string? v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase);

    private static MedallionException Invalid(string table, string what, string help) =>
        new(ErrorCode.UniFormConfigurationInvalid, $"UniForm cannot be enabled on {table}: {what}.\nHelp: {help}.");
}
