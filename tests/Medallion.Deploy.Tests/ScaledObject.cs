using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Medallion.Deploy.Tests;

/// <summary>
/// KEDA's <c>ScaledObject</c> (keda.sh/v1alpha1), the fields of its CRD's spec that a ScaledObject with a Prometheus
/// trigger uses (https://keda.sh/docs/2.15/reference/scaledobject-spec/); read strictly, so a misspelt field fails
/// instead of being ignored as kubectl apply would warn and drop it.
/// </summary>
public sealed class ScaledObject : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The API group version and kind this model reads.</summary>
    public const string ApiGroupVersionKind = "keda.sh/v1alpha1/ScaledObject";

    /// <inheritdoc />
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    /// <inheritdoc />
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>What to scale, between which bounds, on which triggers.</summary>
    [JsonPropertyName("spec")]
    public ScaledObjectSpec Spec { get; set; } = new();
}

/// <summary>The spec of a <see cref="ScaledObject"/>.</summary>
public sealed class ScaledObjectSpec
{
    /// <summary>The workload scaled.</summary>
    [JsonPropertyName("scaleTargetRef")]
    public ScaleTarget ScaleTargetRef { get; set; } = new();

    /// <summary>Seconds between checks of the triggers.</summary>
    [JsonPropertyName("pollingInterval")]
    public int? PollingInterval { get; set; }

    /// <summary>Seconds after the last active trigger before scaling to <see cref="MinReplicaCount"/> (or zero).</summary>
    [JsonPropertyName("cooldownPeriod")]
    public int? CooldownPeriod { get; set; }

    /// <summary>Seconds after creation before the first scale-in.</summary>
    [JsonPropertyName("initialCooldownPeriod")]
    public int? InitialCooldownPeriod { get; set; }

    /// <summary>Replicas while no trigger is active.</summary>
    [JsonPropertyName("idleReplicaCount")]
    public int? IdleReplicaCount { get; set; }

    /// <summary>The fewest replicas.</summary>
    [JsonPropertyName("minReplicaCount")]
    public int? MinReplicaCount { get; set; }

    /// <summary>The most replicas.</summary>
    [JsonPropertyName("maxReplicaCount")]
    public int? MaxReplicaCount { get; set; }

    /// <summary>What KEDA measures.</summary>
    [JsonPropertyName("triggers")]
    public IList<ScaleTrigger> Triggers { get; set; } = [];
}

/// <summary>The workload a <see cref="ScaledObject"/> scales.</summary>
public sealed class ScaleTarget
{
    /// <summary>Its API version, apps/v1 by default.</summary>
    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    /// <summary>Its kind, Deployment by default.</summary>
    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    /// <summary>Its name, in the ScaledObject's namespace.</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>The container whose environment the triggers may read.</summary>
    [JsonPropertyName("envSourceContainerName")]
    public string? EnvSourceContainerName { get; set; }
}

/// <summary>One trigger of a <see cref="ScaledObject"/>.</summary>
public sealed class ScaleTrigger
{
    /// <summary>The scaler, e.g. <c>prometheus</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    /// <summary>A name for the trigger.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary>The scaler's settings (for Prometheus: serverAddress, query, threshold, ...).</summary>
    [JsonPropertyName("metadata")]
    public IDictionary<string, string> Metadata { get; set; } = new Dictionary<string, string>();

    /// <summary>AverageValue (default), Value or Utilization.</summary>
    [JsonPropertyName("metricType")]
    public string? MetricType { get; set; }

    /// <summary>Whether the metric is cached between polls.</summary>
    [JsonPropertyName("useCachedMetrics")]
    public bool? UseCachedMetrics { get; set; }

    /// <summary>The TriggerAuthentication holding the scaler's credentials.</summary>
    [JsonPropertyName("authenticationRef")]
    public ScaleTriggerAuthentication? AuthenticationRef { get; set; }
}

/// <summary>A reference to a KEDA TriggerAuthentication.</summary>
public sealed class ScaleTriggerAuthentication
{
    /// <summary>Its name.</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>TriggerAuthentication (default) or ClusterTriggerAuthentication.</summary>
    [JsonPropertyName("kind")]
    public string? Kind { get; set; }
}
