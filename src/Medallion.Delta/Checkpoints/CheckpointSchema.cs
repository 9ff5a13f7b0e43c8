using System.Collections.Generic;
using System.Text.Json;
using Medallion.Delta.Schema;

namespace Medallion.Delta.Checkpoints;

/// <summary>
/// The schema of a classic (V1 spec) checkpoint (PROTOCOL.md "Checkpoint Schema"): one nullable struct column per
/// action type, laid out field for field as Delta Lake (Spark) writes it, so every reader finds the columns it expects.
/// </summary>
internal static class CheckpointSchema
{
    private static readonly IReadOnlyDictionary<string, JsonElement> s_noMetadata = new Dictionary<string, JsonElement>();

    public static readonly StructType Classic = Struct(
        ("txn", Struct(("appId", P.String), ("version", P.Long), ("lastUpdated", P.Long))),
        ("add", Struct(
            ("path", P.String), ("partitionValues", StringMap), ("size", P.Long), ("modificationTime", P.Long),
            ("dataChange", P.Boolean), ("tags", StringMap), ("deletionVector", DeletionVector),
            ("baseRowId", P.Long), ("defaultRowCommitVersion", P.Long), ("stats", P.String))),
        ("remove", Struct(
            ("path", P.String), ("deletionTimestamp", P.Long), ("dataChange", P.Boolean), ("extendedFileMetadata", P.Boolean),
            ("partitionValues", StringMap), ("size", P.Long), ("deletionVector", DeletionVector),
            ("baseRowId", P.Long), ("defaultRowCommitVersion", P.Long))),
        ("metaData", Struct(
            ("id", P.String), ("name", P.String), ("description", P.String),
            ("format", Struct(("provider", P.String), ("options", StringMap))),
            ("schemaString", P.String), ("partitionColumns", new ArrayType(P.String, true)),
            ("configuration", StringMap), ("createdTime", P.Long))),
        ("protocol", Struct(
            ("minReaderVersion", P.Integer), ("minWriterVersion", P.Integer),
            ("readerFeatures", new ArrayType(P.String, true)), ("writerFeatures", new ArrayType(P.String, true)))),
        ("domainMetadata", Struct(("domain", P.String), ("configuration", P.String), ("removed", P.Boolean))));

    private static MapType StringMap => new(P.String, P.String, true);

    private static StructType DeletionVector => Struct(
        ("storageType", P.String), ("pathOrInlineDv", P.String), ("offset", P.Integer),
        ("sizeInBytes", P.Integer), ("cardinality", P.Long), ("maxRowIndex", P.Long));

    private static StructType Struct(params (string Name, DeltaType Type)[] fields)
    {
        var list = new List<StructField>(fields.Length);
        foreach ((string name, DeltaType type) in fields)
        {
            list.Add(new StructField(name, type, true, s_noMetadata));
        }

        return new StructType(list);
    }

    private static class P
    {
        public static readonly PrimitiveType String = PrimitiveType.String;
        public static readonly PrimitiveType Long = PrimitiveType.Long;
        public static readonly PrimitiveType Integer = PrimitiveType.Integer;
        public static readonly PrimitiveType Boolean = PrimitiveType.Boolean;
    }
}
