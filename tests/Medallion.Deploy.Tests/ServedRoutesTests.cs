using System.Net;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Medallion.Deploy.Tests;

/// <summary>The HTTP paths and the metric the manifests name, asked of a started server.</summary>
public sealed partial class ServedRoutesTests(StartedServer server) : IClassFixture<StartedServer>
{
    [Theory]
    [MemberData(nameof(KubernetesOverlayTests.Overlays), MemberType = typeof(KubernetesOverlayTests))]
    public async Task The_paths_the_probes_and_prometheus_ask_answer_200(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);
        string[] paths = [.. rendered.MedallionContainers()
            .SelectMany(m => new[] { m.Container.LivenessProbe, m.Container.ReadinessProbe, m.Container.StartupProbe }.Select(p => p.HttpGet.Path)
                .Append(m.Deployment.Spec.Template.Metadata.Annotations["prometheus.io/path"]))
            .Distinct()];

        foreach (string path in paths)
        {
            using HttpResponseMessage response = await server.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"deploy/kubernetes/{overlay}: GET {path} answered {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task The_metric_the_keda_trigger_scales_on_is_on_the_server_s_metrics()
    {
        Rendered keda = await Rendered.RenderAsync("components/keda", new Dictionary<string, Type> { [ScaledObject.ApiGroupVersionKind] = typeof(ScaledObject) });
        string query = Assert.Single(Assert.Single(keda.All<ScaledObject>()).Spec.Triggers).Metadata["query"];

        string metrics = await server.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));

        string[] names = [.. MetricName().Matches(query).Select(m => m.Value)];
        Assert.NotEmpty(names);
        Assert.All(names, name => Assert.Matches($"(?m)^{name}[ {{]", metrics));
    }

    [GeneratedRegex("medallion_[a-z_]+")]
    private static partial Regex MetricName();
}
