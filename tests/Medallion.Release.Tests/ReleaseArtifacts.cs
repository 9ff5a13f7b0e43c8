namespace Medallion.Release.Tests;

/// <summary>
/// The linux-x64 release built once per run by build/release.sh, unpacked into a temporary folder, and what the tests
/// make from it once each: the quickstart project and the container image. Building is the expensive part (a
/// self-contained ReadyToRun publish), so only this one platform is built here.
/// </summary>
public sealed class ReleaseArtifacts : IAsyncLifetime
{
    /// <summary>The version the tests build, apart from any real release's folder under artifacts/release.</summary>
    public const string Version = "0.0.0-test";

    private readonly TempDirectory _temp = new("release");
    private readonly Lazy<Task<ProcessResult>> _quickstart;
    private readonly Lazy<Task<ContainerImage>> _image;

    public ReleaseArtifacts()
    {
        _quickstart = new(() => RunBareAsync("quickstart", QuickstartProject));
        _image = new(() => ContainerImage.BuildAsync(RepositoryRoot, Version));
    }

    /// <summary>The checkout the tests run from.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Where release.sh put the archives and SHA256SUMS.</summary>
    public static string ReleaseFolder { get; } = Path.Combine(RepositoryRoot, "artifacts", "release", Version);

    public static string ArchiveName => $"medallion-{Version}-linux-x64.tar.gz";

    /// <summary>The archive's one top folder, unpacked.</summary>
    public string Unpacked => Path.Combine(_temp.Path, $"medallion-{Version}-linux-x64");

    public string Binary => Path.Combine(Unpacked, "medallion");

    /// <summary>A HOME of its own for the binary: nothing of the machine's user (caches, .dotnet) is there.</summary>
    public string Home => Path.Combine(_temp.Path, "home");

    public string QuickstartProject => Path.Combine(_temp.Path, "demo");

    /// <summary>The quickstart, run once from the release in an empty environment.</summary>
    public Task<ProcessResult> Quickstart => _quickstart.Value;

    /// <summary>The container image built from this release, built on first use.</summary>
    public Task<ContainerImage> Image => _image.Value;

    public async Task InitializeAsync()
    {
        await Processes.RunCheckedAsync("bash", [Path.Combine(RepositoryRoot, "build", "release.sh"), Version, "--platform", "linux-x64"], RepositoryRoot);
        Directory.CreateDirectory(Home);
        await Processes.RunCheckedAsync("tar", ["-xzf", Path.Combine(ReleaseFolder, ArchiveName), "-C", _temp.Path]);
    }

    /// <summary>
    /// Runs the release's binary as `env -i HOME=... medallion ...`: no PATH (so no dotnet), no DOTNET_ variables, no
    /// MEDALLION_ ones; only a home folder, which a user always has.
    /// </summary>
    public Task<ProcessResult> RunBareAsync(params string[] arguments) => RunBareInAsync(Home, arguments);

    /// <summary><see cref="RunBareAsync"/> with another home folder.</summary>
    public Task<ProcessResult> RunBareInAsync(string home, params string[] arguments) =>
        Processes.RunAsync("env", ["-i", $"HOME={home}", Binary, .. arguments], workingDirectory: _temp.Path);

    public async Task DisposeAsync()
    {
        if (_image.IsValueCreated)
        {
            await (await _image.Value).DisposeAsync();
        }

        _temp.Dispose();
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "build", "release.sh")) && File.Exists(Path.Combine(directory.FullName, "Medallion.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No checkout with build/release.sh above {AppContext.BaseDirectory}.");
    }
}

/// <summary>Every test that needs the release shares one build of it.</summary>
[CollectionDefinition(Name)]
public sealed class ReleaseCollection : ICollectionFixture<ReleaseArtifacts>
{
    public const string Name = "release";
}
