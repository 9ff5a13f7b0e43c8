namespace Medallion.Pipelines.Privacy;

/// <summary>
/// The project's <c>pii_guard</c> setting: what a run does when a silver or gold model writes personal data (found by
/// sampling the model's result with <see cref="PiiSampler"/>) into a column that has no classification.
/// </summary>
public enum PiiGuardMode
{
    /// <summary>No check (the default).</summary>
    Off,
    /// <summary>The model commits; the run notes name the column and what it holds.</summary>
    Warn,
    /// <summary>The model fails and commits nothing, with an error naming the model file, the column and what it holds.</summary>
    Fail,
}
