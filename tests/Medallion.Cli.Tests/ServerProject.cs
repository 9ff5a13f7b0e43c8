using Microsoft.Data.Sqlite;

namespace Medallion.Cli.Tests;

/// <summary>A project folder for the server's end-to-end tests: files written by the test, tables read back with <c>medallion sql</c>.</summary>
internal sealed class ServerProject : IDisposable
{
    public ServerProject(string jobs)
    {
        Write("medallion.yml", "name: shop\nstorage: lake\n");
        Write("jobs/jobs.yml", jobs);
    }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("medallion-server-e2e-").FullName;

    public ServerProject Write(string relativePath, string text)
    {
        string path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    /// <summary>The rows of <paramref name="sql"/> as CSV lines, header left out.</summary>
    public async Task<List<string>> QueryAsync(string sql)
    {
        Cli.Result result = await Cli.RunAsync("sql", sql, "--format", "csv", "--project", Directory);
        Assert.True(result.ExitCode == 0, result.Error);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
