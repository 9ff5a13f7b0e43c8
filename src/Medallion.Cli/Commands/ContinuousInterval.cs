using System.CommandLine;
using System.Globalization;

namespace Medallion.Cli.Commands;

/// <summary>The <c>--interval</c> of the continuous modes (<c>run</c>, <c>ingest</c>): seconds, more than 0 and at most an hour.</summary>
internal static class ContinuousInterval
{
    /// <summary>The longest interval accepted, in seconds.</summary>
    public const double MaxSeconds = 3600;

    /// <summary>The option, with what it means for the command; a value out of range is a parse error (a usage error, exit 2).</summary>
    public static Option<double> CreateOption(string description)
    {
        var option = new Option<double>("--interval") { Description = description, DefaultValueFactory = _ => 1.0, HelpName = "seconds" };
        option.Validators.Add(result =>
        {
            double seconds = result.GetValueOrDefault<double>();
            if (seconds is <= 0 or > MaxSeconds || double.IsNaN(seconds))
            {
                result.AddError($"--interval must be more than 0 and at most {MaxSeconds.ToString(CultureInfo.InvariantCulture)} seconds, not {seconds.ToString(CultureInfo.InvariantCulture)}. Help: 1 streams CDC sources in one-second micro-batches.");
            }
        });
        return option;
    }
}
