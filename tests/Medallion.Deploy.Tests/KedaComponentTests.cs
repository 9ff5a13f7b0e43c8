namespace Medallion.Deploy.Tests;

/// <summary>The optional KEDA component: a ScaledObject on the runs waiting in the catalog, for the workers of issue #38.</summary>
public sealed class KedaComponentTests
{
    private static readonly Dictionary<string, Type> s_types = new() { [ScaledObject.ApiGroupVersionKind] = typeof(ScaledObject) };

    [Fact]
    public async Task The_scaled_object_reads_strictly_into_keda_s_model()
    {
        Rendered keda = await Rendered.RenderAsync("components/keda", s_types);

        Assert.IsType<ScaledObject>(Assert.Single(keda.Objects));
    }

    [Fact]
    public async Task The_scaled_object_scales_a_deployment_on_a_prometheus_query_within_bounds()
    {
        Rendered keda = await Rendered.RenderAsync("components/keda", s_types);
        ScaledObjectSpec spec = Assert.Single(keda.All<ScaledObject>()).Spec;

        ScaleTrigger trigger = Assert.Single(spec.Triggers);
        Assert.Equal("prometheus", trigger.Type);
        Assert.Contains("serverAddress", trigger.Metadata.Keys);
        Assert.True(double.TryParse(trigger.Metadata["threshold"], System.Globalization.CultureInfo.InvariantCulture, out double threshold) && threshold > 0);
        Assert.Equal(("apps/v1", "Deployment"), (spec.ScaleTargetRef.ApiVersion, spec.ScaleTargetRef.Kind));
        Assert.InRange(spec.MinReplicaCount ?? 0, 1, spec.MaxReplicaCount ?? 100);
    }

    [Fact]
    public async Task A_misspelt_field_of_the_scaled_object_fails_naming_it()
    {
        string yaml = (await Rendered.YamlAsync("components/keda")).Replace("maxReplicaCount", "maxReplicas", StringComparison.Ordinal);

        Exception failure = Assert.ThrowsAny<Exception>(() => k8s.KubernetesYaml.LoadAllFromString(yaml, s_types, strict: true));

        Assert.Contains("maxReplicas", failure.Message + failure.InnerException?.Message, StringComparison.Ordinal);
    }
}
