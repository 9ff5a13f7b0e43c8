using System.Text.Json;

namespace Medallion.Release.Tests;

/// <summary>The container image built by build/image.sh from the test release: its configuration, its contents, and the program run inside it.</summary>
[Collection(ReleaseCollection.Name)]
public sealed class ContainerImageTests(ReleaseArtifacts release)
{
    [Fact]
    public async Task The_image_runs_as_the_unprivileged_user_medallion()
    {
        ContainerImage image = await release.Image;

        Assert.Equal("10001:10001", image.Config.GetProperty("User").GetString());
        Assert.Contains("\nmedallion:x:10001:10001:", await File.ReadAllTextAsync(Path.Combine(image.RootFilesystem, "etc", "passwd")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_image_exposes_port_8080_for_http_and_5433_for_sql()
    {
        ContainerImage image = await release.Image;

        Assert.Equal(["5433/tcp", "8080/tcp"], image.Config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_image_serves_the_project_in_the_data_volume_which_its_user_owns()
    {
        ContainerImage image = await release.Image;

        Assert.Equal(["/data"], image.Config.GetProperty("Volumes").EnumerateObject().Select(p => p.Name));
        Assert.Contains("MEDALLION_PROJECT=/data", image.Environment);
        ProcessResult owner = await Processes.RunCheckedAsync("stat", ["-c", "%u:%g", Path.Combine(image.RootFilesystem, "data")]);
        Assert.Equal("10001:10001\n", owner.Output);
    }

    [Fact]
    public async Task The_image_listens_on_every_interface_at_its_exposed_ports()
    {
        ContainerImage image = await release.Image;

        Assert.Contains("MEDALLION_HOST=0.0.0.0", image.Environment);
        Assert.Contains("MEDALLION_HTTP_PORT=8080", image.Environment);
        Assert.Contains("MEDALLION_PG_PORT=5433", image.Environment);
    }

    [Fact]
    public async Task The_image_starts_medallion_server()
    {
        ContainerImage image = await release.Image;

        Assert.Equal(["/opt/medallion/medallion", "server"], image.Config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task The_image_labels_name_the_version_the_source_and_the_revision_the_binary_was_built_from()
    {
        ContainerImage image = await release.Image;
        string commit = (await release.RunBareAsync("--version")).Output.Split('\n').Single(l => l.StartsWith("commit: ", StringComparison.Ordinal))["commit: ".Length..];

        JsonElement labels = image.Config.GetProperty("Labels");
        Assert.Equal(ReleaseArtifacts.Version, labels.GetProperty("org.opencontainers.image.version").GetString());
        Assert.Equal(ContainerImage.SourceUrl, labels.GetProperty("org.opencontainers.image.source").GetString());
        Assert.Equal(commit, labels.GetProperty("org.opencontainers.image.revision").GetString());
    }

    [Fact]
    public async Task The_image_holds_no_dotnet_sdk_no_shell_and_no_package_manager()
    {
        ContainerImage image = await release.Image;

        string[] found = [.. Directory.EnumerateFileSystemEntries(image.RootFilesystem, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(path => Path.GetFileName(path) is "dotnet" or "sdk" or "Microsoft.NETCore.App" or "sh" or "bash" or "dash" or "apt" or "dpkg")
            .Select(path => path[image.RootFilesystem.Length..])];
        Assert.Empty(found);
    }

    [Fact]
    public async Task The_base_under_the_release_takes_at_most_60_MB()
    {
        ContainerImage image = await release.Image;

        // The release on top (about 300 MB unpacked, mostly the ReadyToRun binary and libduckdb.so) is the program
        // itself; this bounds what the image adds to it. /data may hold a quickstart project by now.
        long whole = await SizeAsync(image.RootFilesystem);
        long program = await SizeAsync(Path.Combine(image.RootFilesystem, "opt", "medallion"));
        long data = await SizeAsync(Path.Combine(image.RootFilesystem, "data"));
        long bytes = whole - program - data;
        Assert.True(bytes <= 60L << 20, $"the base takes {bytes >> 20} MB");
    }

    [Fact]
    public async Task A_pull_of_the_image_takes_at_most_150_MB()
    {
        ContainerImage image = await release.Image;

        long bytes = await image.CompressedSizeAsync();

        Assert.True(bytes <= 150L * 1000 * 1000, $"the image is {bytes / 1000 / 1000} MB gzipped");
    }

    [Fact]
    public async Task Version_runs_in_the_image_as_its_user()
    {
        ContainerImage image = await release.Image;

        ProcessResult version = await image.RunAsUserAsync("--version");

        Assert.True(version.ExitCode == 0, version.Printed);
        Assert.StartsWith("medallion 0.0.0-test (DuckDB v1.5.6)\n", version.Output, StringComparison.Ordinal);
        Assert.EndsWith("\nplatform: linux-x64\n", version.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quickstart_runs_in_the_image_as_its_user_into_the_data_volume()
    {
        ContainerImage image = await release.Image;

        ProcessResult quickstart = await image.RunAsUserAsync("quickstart", "/data/demo");

        Assert.True(quickstart.ExitCode == 0, quickstart.Printed);
        Assert.Contains("\nTop categories by revenue, from gold:", quickstart.Output, StringComparison.Ordinal);
        ProcessResult owner = await Processes.RunCheckedAsync("stat", ["-c", "%u", Path.Combine(image.RootFilesystem, "data", "demo", "medallion.yml")]);
        Assert.Equal("10001\n", owner.Output);
    }

    [Fact]
    public async Task A_kafka_source_loads_its_client_library_in_the_image()
    {
        ContainerImage image = await release.Image;
        // librdkafka's built-in mock broker stands in for Kafka: the client must load and talk to it, and then finds
        // no topic. The image keeps only the librdkafka build that Debian's libraries can load.
        string project = Path.Combine(image.RootFilesystem, "data", "kafka");
        Directory.CreateDirectory(Path.Combine(project, "sources"));
        await File.WriteAllTextAsync(Path.Combine(project, "medallion.yml"),
            "name: shop\nstorage: lake\nconnections:\n  events:\n    type: kafka\n    bootstrap_servers: localhost:1\n    test_mock_num_brokers: 1\n");
        await File.WriteAllTextAsync(Path.Combine(project, "sources", "events.yml"),
            "sources:\n  - name: orders_events\n    connection: events\n    topic: shop.orders\n    format: json\n");
        await Processes.RunCheckedAsync("chown", ["-R", "10001:10001", project]);

        ProcessResult ingest = await image.RunAsUserAsync("ingest", "--select", "orders_events", "--project", "/data/kafka");

        Assert.True(ingest.Error.Contains("Subscribed topic not available: shop.orders: Broker: Unknown topic or partition", StringComparison.Ordinal), ingest.Printed);
    }

    private static async Task<long> SizeAsync(string folder) =>
        long.Parse((await Processes.RunCheckedAsync("du", ["-sb", folder])).Output.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
}
