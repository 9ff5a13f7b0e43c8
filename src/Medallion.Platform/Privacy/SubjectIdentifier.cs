using Medallion.Pipelines.Privacy;

namespace Medallion.Platform.Privacy;

/// <summary>How a data subject is identified in a request: a kind of identifier and its value in normal form.</summary>
/// <param name="Kind">The kind of identifier.</param>
/// <param name="Value">The identifier in normal form (see <see cref="PiiDetector.Normalize"/>).</param>
public sealed record SubjectIdentifier(PiiKind Kind, string Value)
{
    /// <summary>Reads an identifier as the person gave it (<c>390.533.447-05</c> or <c>39053344705</c>).</summary>
    /// <exception cref="MedallionException"><see cref="ErrorCode.SubjectRequestInvalid"/> when it is not a valid identifier of its kind.</exception>
    public static SubjectIdentifier Parse(PiiKind kind, string text) => new(kind, PiiDetector.Normalize(kind, text));

    /// <summary>The identifier mostly hidden, for reports and logs.</summary>
    public string Masked => PiiDetector.Mask(Kind, Value);

    /// <inheritdoc/>
    public override string ToString() => PiiDetector.Name(Kind) + " " + Masked;
}
