using Medallion.Delta;
using Medallion.Delta.Scans;
using Medallion.Delta.Snapshots;
using Medallion.Engine;
using Medallion.Engine.Parquet;
using Medallion.Engine.Scanning;
using Medallion.Storage;

namespace Medallion.Ingestion.Tests;

/// <summary>A bronze Delta table in a temporary directory, read back through the Delta kernel's scan.</summary>
public sealed class BronzeTable : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("medallion-bronze-").FullName;

    public BronzeTable(DuckDbTarget target, string name = "orders")
    {
        Target = target;
        Path = System.IO.Path.Combine(_root, "bronze", name);
        Writer = new DeltaWriter(target.Connection);
    }

    public DuckDbTarget Target { get; }

    public string Path { get; }

    public DeltaWriter Writer { get; }

    public BronzeSink Sink(string sourceName = "shop") => new(new DeltaWriter(Target.Connection), Path, sourceName);

    public async Task<Snapshot> SnapshotAsync() => (await Writer.TryGetSnapshotAsync(Path))!;

    /// <summary>Creates (or replaces) DuckDB view <paramref name="view"/> over the table's current rows.</summary>
    public async Task ViewAsync(string view = "bronze")
    {
        var table = new DeltaTable(new LocalObjectStore(Path), new DuckDbParquetHandler(Target.Connection));
        Snapshot snapshot = await table.GetSnapshotAsync();
        Target.Execute($"CREATE OR REPLACE VIEW {view} AS {await DeltaScanSql.BuildAsync(table, snapshot)}");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
