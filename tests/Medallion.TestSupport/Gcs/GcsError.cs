using System.Text.Json.Nodes;

namespace Medallion.TestSupport;

/// <summary>
/// An error answer in the JSON API's shape (<c>{"error":{"code","message","errors":[{"message","domain","reason"}]}}</c>),
/// thrown by a handler and written by the server. <see cref="Violation"/> marks a request GCS would reject as
/// malformed, which the server also records, as opposed to an answer a correct client meets (404, 412, 416).
/// </summary>
internal sealed class GcsError(int status, string reason, string message, bool violation = false) : Exception(message)
{
    public int Status { get; } = status;

    public string Reason { get; } = reason;

    public bool Violation { get; } = violation;

    /// <summary>What <c>errors[0].locationType</c> says, when GCS names one (412: <c>header</c>).</summary>
    public string? LocationType { get; init; }

    /// <summary>What <c>errors[0].location</c> says, when GCS names one (412: <c>If-Match</c>).</summary>
    public string? Location { get; init; }

    /// <summary>Headers the answer carries besides Content-Type (416: Content-Range; 401: WWW-Authenticate).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>A malformed request: 400 with reason <c>invalid</c>, recorded as a violation.</summary>
    public static GcsError Invalid(string message) => new(400, "invalid", message, violation: true);

    /// <summary>A required parameter that is missing: 400 with reason <c>required</c>, recorded as a violation.</summary>
    public static GcsError Required(string message) => new(400, "required", message, violation: true);

    /// <summary>GCS's answer to a precondition that did not hold.</summary>
    public static GcsError PreconditionFailed() =>
        new(412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.") { LocationType = "header", Location = "If-Match" };

    public static GcsError NoSuchBucket() => new(404, "notFound", "The specified bucket does not exist.");

    public static GcsError NoSuchObject(string bucket, string name) => new(404, "notFound", $"No such object: {bucket}/{name}");

    public JsonObject ToJson()
    {
        var detail = new JsonObject { ["message"] = Message, ["domain"] = "global", ["reason"] = Reason };
        if (LocationType is not null)
        {
            detail["locationType"] = LocationType;
        }

        if (Location is not null)
        {
            detail["location"] = Location;
        }

        return new JsonObject
        {
            ["error"] = new JsonObject { ["code"] = Status, ["message"] = Message, ["errors"] = new JsonArray(detail) },
        };
    }
}
