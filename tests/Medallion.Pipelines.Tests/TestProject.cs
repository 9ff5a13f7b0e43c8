namespace Medallion.Pipelines.Tests;

/// <summary>A project directory in the system temp folder, written file by file, deleted on dispose.</summary>
public sealed class TestProject : IDisposable
{
    public const string MinimalSettings = "name: shop\n";

    public TestProject(string settings = MinimalSettings)
    {
        Directory = Path.Combine(Path.GetTempPath(), "medallion-project-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Write("medallion.yml", settings);
    }

    public string Directory { get; }

    public TestProject Write(string relativePath, string text)
    {
        string path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    /// <summary>Adds a CSV source file per table (bronze.x for "x").</summary>
    public TestProject WithSources(params string[] tables)
    {
        string items = string.Concat(tables.Select(t => $"  - name: {t}\n    format: csv\n    path: data/{t}/*.csv\n    target: bronze.{t}\n"));
        return Write("sources/files.yml", "sources:\n" + items);
    }

    public Task<MedallionProject> LoadAsync(Func<string, string?>? environment = null) =>
        MedallionProject.LoadAsync(Directory, environment ?? (_ => null));

    public async Task<ModelGraph> BuildGraphAsync(IReadOnlyDictionary<Catalog.TableName, IReadOnlyList<string>>? knownColumns = null) =>
        await ModelGraph.BuildAsync(await LoadAsync(), knownColumns);

    /// <summary>Deletes the folder; stop first whatever still writes into it (a server, a scheduler, a child process).</summary>
    public void Dispose() => TempDirectory.Delete(Directory);
}
