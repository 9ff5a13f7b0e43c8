using System;
using System.Collections.Generic;
using System.Text;

namespace Medallion.Ingestion.Http;

/// <summary>
/// Resolves <c>${NAME}</c> references of one run and remembers each resolved value, so that any text shown to
/// people (messages, logs, the request URL stored in bronze) can show the reference instead of the secret.
/// </summary>
internal sealed class SecretResolver(string sourceName, Func<string, string?> environment)
{
    private readonly List<(string Value, string Reference)> _resolved = [];

    /// <summary>The text with every <c>${NAME}</c> replaced by the variable's value.</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.SourceSecretMissing"/>: a variable is not set (the message names the source, the setting and the variable, never a value).</exception>
    public string Resolve(string text, string setting)
    {
        if (!text.Contains("${", StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder();
        int index = 0;
        while (index < text.Length)
        {
            int start = text.IndexOf("${", index, StringComparison.Ordinal);
            int end = start < 0 ? -1 : text.IndexOf('}', start);
            if (start < 0 || end < 0)
            {
                result.Append(text, index, text.Length - index);
                break;
            }

            result.Append(text, index, start - index);
            string name = text[(start + 2)..end];
            string? value = environment(name);
            if (string.IsNullOrEmpty(value))
            {
                throw new MedallionException(ErrorCode.SourceSecretMissing,
                    $"Source '{sourceName}': '{setting}' refers to the environment variable '{name}', which is not set.\nHelp: export {name}=... before running medallion (secrets stay out of project files; they are read at run time only).");
            }

            _resolved.Add((value, "${" + name + "}"));
            result.Append(value);
            index = end + 1;
        }

        return result.ToString();
    }

    /// <summary>The text with every resolved secret (and its URL-escaped form) shown as its <c>${NAME}</c> reference again.</summary>
    public string Redact(string text)
    {
        foreach ((string value, string reference) in _resolved)
        {
            text = text.Replace(value, reference, StringComparison.Ordinal);
            string escaped = Uri.EscapeDataString(value);
            if (escaped != value)
            {
                text = text.Replace(escaped, reference, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
