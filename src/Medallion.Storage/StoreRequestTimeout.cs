using System;

namespace Medallion.Storage;

/// <summary>
/// How long one request to a remote store (one attempt of a GET, PUT or listing, until its answer begins) may take
/// before the client gives it up and retries it: <c>MEDALLION_STORE_TIMEOUT</c>, a duration such as <c>30s</c>, by
/// default <see cref="Default"/> (the AWS and Azure SDKs' own). A stalled store then fails a request after the SDK's
/// retries, each bounded by it, instead of holding a command forever.
/// </summary>
public static class StoreRequestTimeout
{
    /// <summary>The setting's name, in the environment or a project's <c>storage_options</c>.</summary>
    public const string SettingName = "MEDALLION_STORE_TIMEOUT";

    /// <summary>The timeout when none is set: 100 seconds, long enough for a 64 MiB upload on a slow link.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(100);

    /// <summary>The timeout <paramref name="value"/> says, or <see cref="Default"/> when it is empty.</summary>
    /// <param name="value">The setting's text, e.g. <c>30s</c> or <c>2m</c>.</param>
    /// <param name="location">The store it is for, for the message.</param>
    /// <exception cref="MedallionException"><see cref="ErrorCode.StorageConfigurationInvalid"/> when the value is not a positive duration.</exception>
    public static TimeSpan Parse(string? value, string location)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Default;
        }

        if (!DurationText.TryParse(value, out TimeSpan timeout) || timeout <= TimeSpan.Zero)
        {
            throw new MedallionException(ErrorCode.StorageConfigurationInvalid,
                $"The request timeout '{value.Trim()}' for '{location}' (from {SettingName}) is not a positive duration.\nHelp: write one such as 30s or 2m.");
        }

        return timeout;
    }
}
