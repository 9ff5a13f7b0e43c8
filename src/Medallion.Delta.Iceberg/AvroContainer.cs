using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Avro;
using Avro.File;
using Avro.Generic;
using Avro.IO;

namespace Medallion.Delta.Iceberg;

/// <summary>
/// Avro object container files (Avro spec, "Object Container Files") as Iceberg writes its manifests and manifest lists.
/// The header's <c>avro.schema</c> is the schema text given, unparsed: Iceberg readers look for its <c>field-id</c>s and
/// the <c>logicalType: map</c> of its int-keyed maps, which Apache.Avro drops when it prints a parsed schema, so the
/// container is framed here and only the records are encoded by Apache.Avro.
/// </summary>
internal static class AvroContainer
{
    private static readonly byte[] s_magic = [(byte)'O', (byte)'b', (byte)'j', 1];

    /// <summary>A container of <paramref name="records"/> (one block, no compression) with <paramref name="schemaJson"/> and the file metadata <paramref name="metadata"/>.</summary>
    public static byte[] Write(string schemaJson, RecordSchema schema, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<GenericRecord> records)
    {
        using var output = new MemoryStream();
        var encoder = new BinaryEncoder(output);
        output.Write(s_magic);
        encoder.WriteMapStart();
        encoder.SetItemCount(metadata.Count + 2);
        WriteMeta(encoder, "avro.schema", schemaJson);
        WriteMeta(encoder, "avro.codec", "null");
        foreach ((string key, string value) in metadata)
        {
            WriteMeta(encoder, key, value);
        }

        encoder.WriteMapEnd();
        byte[] sync = RandomNumberGenerator.GetBytes(16);
        encoder.WriteFixed(sync);
        if (records.Count > 0)
        {
            using var block = new MemoryStream();
            var blockEncoder = new BinaryEncoder(block);
            var writer = new GenericDatumWriter<GenericRecord>(schema);
            foreach (GenericRecord record in records)
            {
                writer.Write(record, blockEncoder);
            }

            blockEncoder.Flush();
            encoder.WriteLong(records.Count);
            encoder.WriteBytes(block.ToArray());
            encoder.WriteFixed(sync);
        }

        encoder.Flush();
        return output.ToArray();
    }

    /// <summary>The records of a container, read with its own schema, and its metadata as text.</summary>
    public static (List<GenericRecord> Records, Func<string, string?> Meta) Read(byte[] content)
    {
        using var input = new MemoryStream(content);
        using IFileReader<GenericRecord> reader = DataFileReader<GenericRecord>.OpenReader(input);
        var records = new List<GenericRecord>();
        foreach (GenericRecord record in reader.NextEntries)
        {
            records.Add(record);
        }

        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in reader.GetMetaKeys())
        {
            meta[key] = reader.GetMetaString(key);
        }

        return (records, key => meta.GetValueOrDefault(key));
    }

    private static void WriteMeta(BinaryEncoder encoder, string key, string value)
    {
        encoder.StartItem();
        encoder.WriteString(key);
        encoder.WriteBytes(Encoding.UTF8.GetBytes(value));
    }
}
