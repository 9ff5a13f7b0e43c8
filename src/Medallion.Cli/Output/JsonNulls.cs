using System.Text.Json;

namespace Medallion.Cli.Output;

/// <summary>Writing a value that may be absent as JSON's <c>null</c>, the way every <c>--format json</c> of the CLI does.</summary>
internal static class JsonNulls
{
    /// <summary>Writes <paramref name="value"/> as a number, or <c>null</c> when it has none.</summary>
    public static void WriteNumberOrNull(this Utf8JsonWriter json, string name, long? value)
    {
        if (value is long number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    /// <summary>Writes <paramref name="value"/> as a number, or <c>null</c> when it has none.</summary>
    public static void WriteNumberOrNull(this Utf8JsonWriter json, string name, double? value)
    {
        if (value is double number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
