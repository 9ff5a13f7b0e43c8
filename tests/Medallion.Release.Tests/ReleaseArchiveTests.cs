using System.Security.Cryptography;

namespace Medallion.Release.Tests;

/// <summary>The linux-x64 archive as a user downloads it: checked against SHA256SUMS, unpacked, run with nothing else installed.</summary>
[Collection(ReleaseCollection.Name)]
public sealed class ReleaseArchiveTests(ReleaseArtifacts release)
{
    [Fact]
    public async Task The_sums_file_checks_the_archive()
    {
        ProcessResult check = await Processes.RunAsync("sha256sum", ["-c", "SHA256SUMS"], ReleaseArtifacts.ReleaseFolder);

        Assert.True(check.ExitCode == 0, check.Printed);
        Assert.Equal($"{ReleaseArtifacts.ArchiveName}: OK\n", check.Output);
    }

    [Fact]
    public async Task The_archive_holds_one_top_folder_with_the_binary_its_native_libraries_and_the_readme()
    {
        ProcessResult list = await Processes.RunCheckedAsync("tar", ["-tzf", Path.Combine(ReleaseArtifacts.ReleaseFolder, ReleaseArtifacts.ArchiveName)]);

        string top = $"medallion-{ReleaseArtifacts.Version}-linux-x64/";
        string[] entries = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(entries, entry => Assert.StartsWith(top, entry, StringComparison.Ordinal));
        Assert.Equal(
            ["", "README.md", "centos8-librdkafka.so", "libduckdb.so", "libe_sqlite3.so", "librdkafka.so", "medallion"],
            entries.Select(entry => entry[top.Length..]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_duckdb_library_beside_the_binary_is_the_pinned_one()
    {
        string pinned = (await Processes.RunCheckedAsync("bash", [Path.Combine(ReleaseArtifacts.RepositoryRoot, "build", "fetch-duckdb.sh"), "linux-x64"])).Output.Trim();

        Assert.Equal(
            Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(pinned))),
            Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Path.Combine(release.Unpacked, "libduckdb.so")))));
    }

    [Fact]
    public async Task Version_from_the_release_names_the_version_duckdb_the_commit_the_build_date_and_the_platform_without_dotnet_or_any_environment()
    {
        ProcessResult version = await release.RunBareAsync("--version");

        Assert.True(version.ExitCode == 0, version.Printed);
        Assert.Matches(
            @"^medallion 0\.0\.0-test \(DuckDB v1\.5\.6\)\ncommit: ([0-9a-f]{40}|unknown)\nbuilt: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nplatform: linux-x64\n$",
            version.Output);
    }

    [Fact]
    public async Task The_release_writes_nothing_into_its_home_when_it_starts()
    {
        using var home = new TempDirectory("release-home");

        ProcessResult version = await release.RunBareInAsync(home.Path, "--version");

        Assert.True(version.ExitCode == 0, version.Printed);
        Assert.Empty(Directory.EnumerateFileSystemEntries(home.Path));
    }

    [Fact]
    public async Task Quickstart_runs_from_the_release_without_dotnet_or_any_environment()
    {
        ProcessResult quickstart = await release.Quickstart;

        Assert.True(quickstart.ExitCode == 0, quickstart.Printed);
        Assert.Contains("\nTop categories by revenue, from gold:", quickstart.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sql_from_the_release_queries_the_quickstart_project()
    {
        Assert.True((await release.Quickstart).ExitCode == 0, (await release.Quickstart).Printed);

        ProcessResult query = await release.RunBareAsync(
            "sql", "select count(*) as orders from silver.orders", "--project", release.QuickstartProject, "--format", "csv");

        Assert.True(query.ExitCode == 0, query.Printed);
        Assert.Equal("orders\n2200\n", query.Output);
    }
}
