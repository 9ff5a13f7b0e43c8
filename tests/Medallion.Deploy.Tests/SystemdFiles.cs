namespace Medallion.Deploy.Tests;

/// <summary>deploy/systemd's unit and environment file, read line by line as systemd reads them.</summary>
internal static class SystemdFiles
{
    public const string Unit = "deploy/systemd/medallion.service";
    public const string EnvironmentFile = "deploy/systemd/medallion.env";

    /// <summary>One <c>Key=value</c> of the unit, with its section and line.</summary>
    public sealed record Setting(string Section, string Key, string Value, int Line);

    /// <summary>One <c>NAME=value</c> of the environment file, with its line; <paramref name="Example"/> for a commented-out one.</summary>
    public sealed record Variable(string Name, string Value, int Line, bool Example);

    public static IReadOnlyList<Setting> Settings()
    {
        var settings = new List<Setting>();
        string section = "";
        string[] lines = File.ReadAllLines(Repository.PathOf(Unit));
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line.StartsWith('['))
            {
                section = line.Trim('[', ']');
                continue;
            }

            int equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0, $"{Unit}:{i + 1}: '{line}' is not Key=value");
            settings.Add(new Setting(section, line[..equals], line[(equals + 1)..], i + 1));
        }

        return settings;
    }

    /// <summary>The value of the one <paramref name="key"/> of <c>[Service]</c>, or null.</summary>
    public static string? Service(string key) => Settings().SingleOrDefault(s => s.Section == "Service" && s.Key == key)?.Value;

    /// <summary>The environment file's variables, the commented-out examples (<c>#NAME=value</c>) too.</summary>
    public static IReadOnlyList<Variable> Variables()
    {
        var variables = new List<Variable>();
        string[] lines = File.ReadAllLines(Repository.PathOf(EnvironmentFile));
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            bool example = line.StartsWith('#');
            string text = example ? line[1..] : line;
            int equals = text.IndexOf('=', StringComparison.Ordinal);
            if (line.Length == 0 || (example && (equals <= 0 || text[..equals].Any(c => !(char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_')))))
            {
                continue; // a blank line or a comment in words
            }

            Assert.True(equals > 0, $"{EnvironmentFile}:{i + 1}: '{line}' is not NAME=value");
            variables.Add(new Variable(text[..equals], text[(equals + 1)..], i + 1, example));
        }

        return variables;
    }
}
