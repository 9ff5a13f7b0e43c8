using System.Xml.Linq;

namespace Medallion.Deploy.Tests;

/// <summary>The repository these tests check: its deploy/ folder and the release version in Directory.Build.props.</summary>
internal static class Repository
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Directory.Build.props")) && Directory.Exists(Path.Combine(directory.FullName, "deploy")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No repository (Directory.Build.props beside deploy/) above {AppContext.BaseDirectory}.");
    });

    /// <summary>The repository's root folder.</summary>
    public static string Root => s_root.Value;

    /// <summary>A path below the root, e.g. <c>deploy/systemd/medallion.service</c>.</summary>
    public static string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>The release version: the <c>Version</c> of Directory.Build.props, which the image is tagged with.</summary>
    public static string ReleaseVersion =>
        XDocument.Load(PathOf("Directory.Build.props")).Descendants("Version").Single().Value;
}
