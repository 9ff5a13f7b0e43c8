using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;

namespace Medallion.Spark.Tests;

/// <summary>
/// Requests as the service received them, against committed renderings in <c>Golden/</c> (proto3 JSON, UUIDs numbered
/// in order of appearance). Set MEDALLION_UPDATE_GOLDEN=1 to rewrite them.
/// </summary>
internal static partial class GoldenRequests
{
    private static readonly JsonFormatter s_json = new(JsonFormatter.Settings.Default.WithIndentation());

    /// <summary>Checks <paramref name="requests"/> against <c>Golden/&lt;name&gt;.txt</c>, after <paramref name="normalize"/> took out what differs from run to run.</summary>
    public static void Assert(IEnumerable<IMessage> requests, string name, Func<string, string>? normalize = null)
    {
        var text = new StringBuilder();
        foreach (IMessage request in requests)
        {
            text.Append("// ").Append(request.Descriptor.FullName).Append('\n').Append(s_json.Format(request)).Append("\n\n");
        }

        string actual = NumberUuids((normalize ?? (t => t))(text.ToString()));
        if (Environment.GetEnvironmentVariable("MEDALLION_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(Path.Combine(SourceGoldenFolder(), name + ".txt"), actual);
            return;
        }

        // The build copies the golden files beside the test assembly (the csproj's Golden/*.txt).
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", name + ".txt");
        Xunit.Assert.True(File.Exists(path), $"{path} is missing; run with MEDALLION_UPDATE_GOLDEN=1 to write it.");
        Xunit.Assert.Equal(File.ReadAllText(path), actual);
    }

    /// <summary>The checkout's Golden folder of this project, found from the test assembly's folder upwards.</summary>
    private static string SourceGoldenFolder()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "tests", "Medallion.Spark.Tests", "Golden");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/Medallion.Spark.Tests/Golden was not found above " + AppContext.BaseDirectory);
    }

    private static string NumberUuids(string text)
    {
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        return Uuid().Replace(text, m => $"<uuid-{(numbers.TryGetValue(m.Value, out int n) ? n : numbers[m.Value] = numbers.Count + 1)}>");
    }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();
}
