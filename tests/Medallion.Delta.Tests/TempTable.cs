using System;
using System.Globalization;
using System.IO;
using Medallion.Storage;

namespace Medallion.Delta.Tests;

/// <summary>A Delta table in a fresh temp directory, with helpers to write log files by hand.</summary>
public sealed class TempTable : IDisposable
{
    public const string Protocol1 = """{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}""";
    public const string Metadata = """{"metaData":{"id":"t","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},{\"name\":\"p\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":["p"],"configuration":{}}}""";

    public TempTable()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "medallion-delta-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(System.IO.Path.Combine(Path, "_delta_log"));
    }

    public string Path { get; }

    public string LogPath(string name) => System.IO.Path.Combine(Path, "_delta_log", name);

    public static string CommitName(long version) => version.ToString("D20", CultureInfo.InvariantCulture) + ".json";

    public static string Add(string path, string? partition = "a", string? stats = null)
    {
        string p = partition is null ? "null" : "\"" + partition + "\"";
        string st = stats is null ? string.Empty : ",\"stats\":\"" + stats.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return "{\"add\":{\"path\":\"" + path + "\",\"partitionValues\":{\"p\":" + p + "},\"size\":10,\"modificationTime\":1,\"dataChange\":true" + st + "}}";
    }

    public static string Remove(string path) =>
        "{\"remove\":{\"path\":\"" + path + "\",\"deletionTimestamp\":2,\"dataChange\":true}}";

    /// <summary>Writes commit <paramref name="version"/> with the given action lines.</summary>
    public TempTable Commit(long version, params string[] lines)
    {
        File.WriteAllText(LogPath(CommitName(version)), string.Join("\n", lines) + "\n");
        return this;
    }

    /// <summary>Writes the initial commit (protocol, metadata, one file) and <paramref name="more"/> appends.</summary>
    public TempTable WithCommits(int count)
    {
        Commit(0, Protocol1, Metadata, Add("p=a/f0.parquet"));
        for (int v = 1; v < count; v++)
        {
            Commit(v, Add($"p=a/f{v}.parquet"));
        }

        return this;
    }

    public DeltaTable Open(IParquetHandler? parquet = null) => new(new LocalObjectStore(Path), parquet);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
