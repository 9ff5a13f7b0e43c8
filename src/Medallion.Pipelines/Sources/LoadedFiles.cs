using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace Medallion.Pipelines.Sources;

/// <summary>
/// The files a bronze table has loaded, kept in the metadata domain <see cref="Domain"/> of the table itself so that it
/// commits atomically with their rows: a crash before the commit leaves neither the rows nor the record, and a rerun
/// loads the files once. Each entry keeps size and modification time (a cheap "unchanged" test) and the SHA-256 of the
/// content (the real test when size or time moved), keyed by project-relative path.
/// </summary>
internal sealed class LoadedFiles
{
    /// <summary>The metadata domain holding the set; it is also the <c>txn</c> application id that orders loads.</summary>
    public const string Domain = "medallion.source.files";

    private readonly SortedDictionary<string, LoadedFile> _files;

    private LoadedFiles(SortedDictionary<string, LoadedFile> files) => _files = files;

    public static LoadedFiles Empty() => new(new SortedDictionary<string, LoadedFile>(StringComparer.Ordinal));

    public int Count => _files.Count;

    public bool TryGet(string path, out LoadedFile file) => _files.TryGetValue(path, out file!);

    public void Set(string path, LoadedFile file) => _files[path] = file;

    /// <summary>Reads the domain's configuration; <paramref name="table"/> only names the table in errors.</summary>
    public static LoadedFiles Parse(string configuration, string table)
    {
        var files = new SortedDictionary<string, LoadedFile>(StringComparer.Ordinal);
        try
        {
            using JsonDocument document = JsonDocument.Parse(configuration);
            foreach (JsonProperty p in document.RootElement.GetProperty("files").EnumerateObject())
            {
                JsonElement e = p.Value;
                files[p.Name] = new LoadedFile(
                    e.GetProperty("size").GetInt64(),
                    e.GetProperty("modified").GetDateTimeOffset(),
                    e.GetProperty("sha256").GetString() ?? string.Empty,
                    e.TryGetProperty("run", out JsonElement run) ? run.GetString() : null);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new MedallionException(ErrorCode.SourceLoadStateInvalid,
                $"The record of loaded files (metadata domain '{Domain}') of the bronze table at '{table}' cannot be read: {e.Message}\nHelp: the table was changed by another tool; restore it to a version written by Medallion, or drop and reload it.", e);
        }

        return new LoadedFiles(files);
    }

    public string Serialize()
    {
        var buffer = new System.IO.MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("version", 1);
            w.WriteStartObject("files");
            foreach ((string path, LoadedFile f) in _files)
            {
                w.WriteStartObject(path);
                w.WriteNumber("size", f.Size);
                w.WriteString("modified", f.Modified.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
                w.WriteString("sha256", f.Sha256);
                if (f.RunId is not null)
                {
                    w.WriteString("run", f.RunId);
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}

/// <summary>One loaded file: what it looked like when its rows were committed.</summary>
internal sealed record LoadedFile(long Size, DateTimeOffset Modified, string Sha256, string? RunId);
