using System.Text.Json;

namespace Medallion.Release.Tests;

/// <summary>
/// The image build/image.sh makes from the test release, in buildah's vfs storage, and a working container of it whose
/// root filesystem is mounted. This CI cannot run containers (its kernel refuses the runtime's cgroup setup), so a
/// command "in the image" runs with chroot into that root as the image's user, with the image's environment, and with
/// /proc and /dev mounted as a container runtime would (in a mount namespace of its own, gone when it exits).
/// </summary>
public sealed class ContainerImage : IAsyncDisposable
{
    /// <summary>What the image's source label should say: image.sh takes it from MEDALLION_SOURCE_URL.</summary>
    public const string SourceUrl = "https://example.com/medallion.git";

    private static readonly string[] s_storage = ["--storage-driver", "vfs"];

    private ContainerImage(string tag, string container, string rootFilesystem, JsonElement config)
    {
        Tag = tag;
        Container = container;
        RootFilesystem = rootFilesystem;
        Config = config;
    }

    public string Tag { get; }

    public string Container { get; }

    /// <summary>Where the working container's root filesystem is mounted on this machine.</summary>
    public string RootFilesystem { get; }

    /// <summary>The image's OCI configuration: <c>User</c>, <c>Env</c>, <c>Entrypoint</c>, <c>ExposedPorts</c>, <c>Volumes</c>, <c>Labels</c>.</summary>
    public JsonElement Config { get; }

    public static async Task<ContainerImage> BuildAsync(string repositoryRoot, string version)
    {
        string tag = $"localhost/medallion-test-{Guid.NewGuid():N}:{version}";
        await Processes.RunCheckedAsync(
            "bash", [Path.Combine(repositoryRoot, "build", "image.sh"), version, "--tag", tag], repositoryRoot,
            new Dictionary<string, string?> { ["BUILDAH_STORAGE_DRIVER"] = "vfs", ["MEDALLION_SOURCE_URL"] = SourceUrl });
        ProcessResult inspect = await Processes.RunCheckedAsync("buildah", [.. s_storage, "inspect", "--type", "image", tag]);
        JsonElement config = JsonDocument.Parse(inspect.Output).RootElement.GetProperty("OCIv1").GetProperty("config").Clone();
        string container = (await Processes.RunCheckedAsync("buildah", [.. s_storage, "from", "--quiet", "--pull-never", tag])).Output.Trim();
        string rootFilesystem = (await Processes.RunCheckedAsync("buildah", [.. s_storage, "mount", container])).Output.Trim();
        return new ContainerImage(tag, container, rootFilesystem, config);
    }

    /// <summary>The image's environment (<c>Env</c>), as NAME=value strings.</summary>
    public IReadOnlyList<string> Environment => [.. Config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()!)];

    /// <summary>Runs <c>/opt/medallion/medallion</c> with <paramref name="arguments"/> inside the image as its user, with only the image's environment.</summary>
    public Task<ProcessResult> RunAsUserAsync(params string[] arguments) =>
        Processes.RunAsync(
            "unshare",
            [
                "--mount", "--pid", "--fork", $"--mount-proc={RootFilesystem}/proc",
                "sh", "-c", "mount --rbind /dev \"$0/dev\" && exec \"$@\"", RootFilesystem,
                "env", "-i", .. Environment,
                // env -i leaves no PATH to find chroot by.
                "/usr/sbin/chroot", $"--userspec={Config.GetProperty("User").GetString()}", RootFilesystem,
                "/opt/medallion/medallion", .. arguments,
            ]);

    /// <summary>The bytes a pull transfers: the image written as an OCI archive, its layers gzipped as a registry serves them.</summary>
    public async Task<long> CompressedSizeAsync()
    {
        string archive = Path.Combine(Path.GetTempPath(), $"medallion-image-{Guid.NewGuid():N}.tar");
        try
        {
            await Processes.RunCheckedAsync("buildah", [.. s_storage, "push", "--quiet", Tag, $"oci-archive:{archive}:{Tag}"]);
            return new FileInfo(archive).Length;
        }
        finally
        {
            File.Delete(archive);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Processes.RunAsync("buildah", [.. s_storage, "umount", Container]);
        await Processes.RunAsync("buildah", [.. s_storage, "rm", Container]);
        await Processes.RunAsync("buildah", [.. s_storage, "rmi", Tag]);
    }
}
