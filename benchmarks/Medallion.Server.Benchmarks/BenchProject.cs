using System;
using System.IO;
using Medallion.Server;

namespace Medallion.Server.Benchmarks;

/// <summary>A throwaway project folder (tables in <c>lake/</c>, catalog in <c>.medallion/</c>) deleted afterwards.</summary>
internal sealed class BenchProject : IDisposable
{
    public BenchProject() => Write("medallion.yml", "name: bench\nstorage: lake\n");

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("medallion-server-bench-").FullName;

    public BenchProject Write(string relativePath, string text)
    {
        string path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>Shorthands over the server's public surface.</summary>
internal static class ServerExtensions
{
    public static Medallion.Catalog.CatalogStore Catalog(this MedallionServer server) => server.Scheduler.Catalog;
}
