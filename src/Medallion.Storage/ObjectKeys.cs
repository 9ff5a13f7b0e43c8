using System;

namespace Medallion.Storage;

/// <summary>Rules every object key follows, checked before a key touches a store.</summary>
internal static class ObjectKeys
{
    /// <summary>Throws unless <paramref name="key"/> is a non-empty relative key without empty, <c>.</c> or <c>..</c> segments.</summary>
    public static void Validate(string key, string location)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0 || key[0] == '/' || key.Contains('\\', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid(key, location);
        }

        foreach (string segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                throw Invalid(key, location);
            }
        }
    }

    private static MedallionException Invalid(string key, string location) =>
        new(ErrorCode.StorageInvalidKey,
            $"'{key}' is not a valid object key in '{location}'.\nHelp: keys are relative to the store root, use '/' between segments and have no empty, '.' or '..' segments.");
}
