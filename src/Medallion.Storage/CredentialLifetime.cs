using System;

namespace Medallion.Storage;

/// <summary>
/// How long issued credentials (<see cref="IStorageCredentialIssuer"/>) live: <c>MEDALLION_CREDENTIAL_LIFETIME</c>, a
/// duration such as <c>15m</c> or <c>1h</c>, by default <see cref="Default"/> (Unity Catalog's own), within what each
/// cloud allows (STS: 15 minutes to 12 hours; a SAS: up to 7 days).
/// </summary>
public static class CredentialLifetime
{
    /// <summary>The setting's name, in the environment or a project's <c>storage_options</c>.</summary>
    public const string SettingName = "MEDALLION_CREDENTIAL_LIFETIME";

    /// <summary>The lifetime when none is set: one hour.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromHours(1);

    /// <summary>The lifetime <paramref name="value"/> says, or <see cref="Default"/> when it is empty.</summary>
    /// <param name="value">The setting's text.</param>
    /// <param name="min">The shortest the cloud issues.</param>
    /// <param name="max">The longest the cloud issues.</param>
    /// <param name="location">The store it is for, for the message.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageConfigurationInvalid"/> when the value is not a duration within [<paramref name="min"/>, <paramref name="max"/>].</exception>
    public static TimeSpan Parse(string? value, TimeSpan min, TimeSpan max, string location)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Default < min ? min : Default > max ? max : Default;
        }

        if (!DurationText.TryParse(value, out TimeSpan lifetime) || lifetime < min || lifetime > max)
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"The credential lifetime '{value.Trim()}' for '{location}' (from {SettingName}) is not a duration from {DurationText.Format(min)} to {DurationText.Format(max)}.\nHelp: write one such as 15m or 1h.");
        }

        return lifetime;
    }
}
