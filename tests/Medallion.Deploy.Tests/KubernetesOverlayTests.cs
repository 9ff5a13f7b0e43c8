using System.Globalization;
using k8s.Models;

namespace Medallion.Deploy.Tests;

/// <summary>
/// The Kustomize overlays of deploy/kubernetes, rendered as <c>kubectl apply -k</c> renders them and checked against
/// what <c>medallion server</c> really listens on, reads and writes.
/// </summary>
public sealed class KubernetesOverlayTests
{
    public static TheoryData<string> Overlays => ["overlays/single", "overlays/ha"];

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_object_of_the_overlay_reads_strictly_into_the_typed_models(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        Assert.NotEmpty(rendered.Objects);
        Assert.All(rendered.Objects, o => Assert.IsAssignableFrom<k8s.IKubernetesObject>(o));
    }

    [Fact]
    public async Task A_misspelt_field_of_a_rendered_object_fails_naming_it()
    {
        string yaml = (await Rendered.YamlAsync("overlays/single")).Replace("terminationGracePeriodSeconds", "terminationGraceSeconds", StringComparison.Ordinal);

        Exception failure = Assert.ThrowsAny<Exception>(() => k8s.KubernetesYaml.LoadAllFromString(yaml, null, strict: true));

        Assert.Contains("terminationGraceSeconds", failure.Message + failure.InnerException?.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_overlay_runs_the_server_with_its_service_account_ingress_and_disruption_budget(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        Assert.NotEmpty(rendered.MedallionContainers());
        Assert.Single(rendered.All<V1ServiceAccount>());
        Assert.Single(rendered.All<V1Ingress>());
        Assert.Single(rendered.All<V1PodDisruptionBudget>());
        Assert.All(rendered.MedallionContainers(), m => Assert.Equal("medallion", m.Deployment.Spec.Template.Spec.ServiceAccountName));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Every_variable_of_the_server_is_one_it_reads(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        string[] unknown = [.. rendered.MedallionContainers()
            .SelectMany(m => rendered.Variables(m.Deployment, m.Container))
            .Where(v => !ServerVariables.Reads(v.Key))
            .Select(v => $"deploy/kubernetes/{overlay}: {v.Value.Where}: {v.Key} is not a variable medallion server reads")];

        Assert.True(unknown.Length == 0, string.Join('\n', unknown));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_values_of_the_server_s_variables_read_as_its_options(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        foreach ((V1Deployment deployment, V1Container container) in rendered.MedallionContainers())
        {
            IReadOnlyList<string> errors = ServerVariables.Errors(Values(rendered, deployment, container));
            Assert.True(errors.Count == 0, $"deploy/kubernetes/{overlay}: Deployment {deployment.Metadata.Name}, container {container.Name}: " + string.Join('\n', errors));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_container_ports_are_the_ports_the_server_listens_on(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        foreach ((V1Deployment deployment, V1Container container) in rendered.MedallionContainers())
        {
            IReadOnlyDictionary<string, string> variables = Values(rendered, deployment, container);
            var listens = new Dictionary<string, int> { ["http"] = int.Parse(variables["MEDALLION_HTTP_PORT"], CultureInfo.InvariantCulture) };
            // A worker serves no SQL.
            if (!rendered.IsWorker(deployment, container))
            {
                listens["postgres"] = int.Parse(variables["MEDALLION_PG_PORT"], CultureInfo.InvariantCulture);
            }

            Assert.Equal(listens, container.Ports.ToDictionary(p => p.Name, p => p.ContainerPort));
            Assert.Equal("0.0.0.0", variables["MEDALLION_HOST"]);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_service_and_the_ingress_reach_the_server_s_named_ports(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);
        V1Service service = Assert.Single(rendered.All<V1Service>());
        (V1Deployment deployment, V1Container container) = Assert.Single(rendered.ServingContainers());

        Assert.All(service.Spec.Selector, label => Assert.Equal(label.Value, deployment.Spec.Template.Metadata.Labels[label.Key]));
        Assert.Equal(["http", "postgres"], service.Spec.Ports.Select(p => p.TargetPort.Value).Order());
        Assert.All(service.Spec.Ports, p => Assert.Contains(container.Ports, c => c.Name == p.TargetPort.Value));
        V1IngressBackend backend = Assert.Single(Assert.Single(Assert.Single(rendered.All<V1Ingress>()).Spec.Rules).Http.Paths).Backend;
        Assert.Equal(service.Metadata.Name, backend.Service.Name);
        Assert.Equal("http", backend.Service.Port.Name);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_disruption_budget_covers_the_server_pods_and_lets_one_go_at_a_time(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);
        V1PodDisruptionBudget budget = Assert.Single(rendered.All<V1PodDisruptionBudget>());
        (V1Deployment deployment, _) = Assert.Single(rendered.ServingContainers());

        Assert.All(budget.Spec.Selector.MatchLabels, label => Assert.Equal(label.Value, deployment.Spec.Template.Metadata.Labels[label.Key]));
        Assert.Equal("1", budget.Spec.MaxUnavailable.Value);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_probes_ask_the_server_s_liveness_and_readiness_routes_on_its_http_port(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        foreach ((_, V1Container container) in rendered.MedallionContainers())
        {
            Assert.Equal(("/healthz", "http"), (container.LivenessProbe.HttpGet.Path, container.LivenessProbe.HttpGet.Port.Value));
            Assert.Equal(("/healthz", "http"), (container.StartupProbe.HttpGet.Path, container.StartupProbe.HttpGet.Port.Value));
            Assert.Equal(("/readyz", "http"), (container.ReadinessProbe.HttpGet.Path, container.ReadinessProbe.HttpGet.Port.Value));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Prometheus_scrapes_the_server_s_metrics_on_its_http_port(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        foreach ((V1Deployment deployment, V1Container container) in rendered.MedallionContainers())
        {
            IDictionary<string, string> annotations = deployment.Spec.Template.Metadata.Annotations;
            Assert.Equal("true", annotations["prometheus.io/scrape"]);
            Assert.Equal("/metrics", annotations["prometheus.io/path"]);
            Assert.Equal(container.Ports.Single(p => p.Name == "http").ContainerPort.ToString(CultureInfo.InvariantCulture), annotations["prometheus.io/port"]);
            // From another pod /metrics answers without a token only when the server is told so.
            Assert.Equal("true", Values(rendered, deployment, container)["MEDALLION_METRICS_ANONYMOUS"]);
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_server_image_is_tagged_with_the_release_version(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        Assert.All(rendered.MedallionContainers(), m => Assert.Equal(Repository.ReleaseVersion, Rendered.ImageTag(m.Container.Image)));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_pod_s_termination_grace_outlasts_the_server_s_stop(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        foreach ((V1Deployment deployment, V1Container container) in rendered.MedallionContainers())
        {
            TimeSpan stop = ServerVariables.StopTime(Values(rendered, deployment, container));
            Assert.True(
                TimeSpan.FromSeconds(deployment.Spec.Template.Spec.TerminationGracePeriodSeconds ?? 30) > stop,
                $"deploy/kubernetes/{overlay}: Deployment {deployment.Metadata.Name}: terminationGracePeriodSeconds must be above MEDALLION_GRACE + {ShutdownGraceSeconds} s ({stop.TotalSeconds} s)");
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_server_runs_as_non_root_on_a_read_only_root_filesystem(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        foreach ((V1Deployment deployment, V1Container container) in rendered.MedallionContainers())
        {
            V1PodSpec pod = deployment.Spec.Template.Spec;
            Assert.True(pod.SecurityContext.RunAsNonRoot);
            Assert.NotEqual(0, pod.SecurityContext.RunAsUser);
            Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
            Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
            Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
            Assert.All(pod.InitContainers ?? [], init => Assert.True(init.SecurityContext.ReadOnlyRootFilesystem, $"init container {init.Name}"));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Everything_the_server_writes_is_on_a_mounted_volume(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        foreach ((V1Deployment deployment, V1Container container) in rendered.MedallionContainers())
        {
            IReadOnlyDictionary<string, string> variables = Values(rendered, deployment, container);
            foreach (string variable in new[] { "MEDALLION_PROJECT", "TMPDIR", "HOME", "XDG_CACHE_HOME", "MEDALLION_CACHE_DIR" })
            {
                Assert.True(variables.ContainsKey(variable), $"deploy/kubernetes/{overlay}: the server's variables lack {variable}, so it would write under the read-only root");
                string path = variables[variable];
                Assert.True(
                    container.VolumeMounts.Any(m => m.ReadOnlyProperty != true && (path == m.MountPath || path.StartsWith(m.MountPath + "/", StringComparison.Ordinal))),
                    $"deploy/kubernetes/{overlay}: {variable}={path} is on no writable volume of container {container.Name}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task The_first_admin_s_password_file_is_on_a_mounted_secret(string overlay)
    {
        Rendered rendered = await Rendered.RenderAsync(overlay);

        foreach ((V1Deployment deployment, V1Container container) in rendered.MedallionContainers())
        {
            string file = Values(rendered, deployment, container)["MEDALLION_ADMIN_PASSWORD_FILE"];
            V1VolumeMount mount = Assert.Single(container.VolumeMounts, m => file.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
            V1Volume volume = deployment.Spec.Template.Spec.Volumes.Single(v => v.Name == mount.Name);
            Assert.Equal("medallion-admin", volume.Secret.SecretName);
            Assert.Equal("password", Path.GetFileName(file));
        }
    }

    [Fact]
    public async Task The_single_overlay_keeps_one_server_on_a_volume_of_its_own()
    {
        Rendered rendered = await Rendered.RenderAsync("overlays/single");
        (V1Deployment deployment, _) = Assert.Single(rendered.MedallionContainers());

        Assert.Equal(1, deployment.Spec.Replicas);
        Assert.Equal("Recreate", deployment.Spec.Strategy.Type);
        Assert.Equal(["ReadWriteOnce"], rendered.Named<V1PersistentVolumeClaim>("medallion-data").Spec.AccessModes);
    }

    [Fact]
    public async Task The_ha_overlay_runs_two_schedulers_and_workers_on_a_postgres_catalog_from_a_secret()
    {
        Rendered rendered = await Rendered.RenderAsync("overlays/ha");
        (V1Deployment servers, V1Container server) = Assert.Single(rendered.ServingContainers());
        (V1Deployment workers, V1Container worker) = Assert.Single(rendered.MedallionContainers(), m => rendered.IsWorker(m.Deployment, m.Container));

        Assert.Equal((2, "scheduler"), (servers.Spec.Replicas, Values(rendered, servers, server)["MEDALLION_ROLE"]));
        Assert.Equal("medallion-worker", workers.Metadata.Name);
        foreach (V1Container container in new[] { server, worker })
        {
            V1EnvVar catalog = Assert.Single(container.Env, e => e.Name == Pipelines.MedallionProject.CatalogVariable);
            Assert.Equal(("medallion-catalog", "url"), (catalog.ValueFrom.SecretKeyRef.Name, catalog.ValueFrom.SecretKeyRef.Key));
        }

        Assert.Equal(["ReadWriteMany"], rendered.Named<V1PersistentVolumeClaim>("medallion-data").Spec.AccessModes);
    }

    [Fact]
    public async Task The_keda_component_scales_the_ha_overlay_s_workers()
    {
        Rendered rendered = await Rendered.RenderAsync("overlays/ha");
        Rendered keda = await Rendered.RenderAsync("components/keda", new Dictionary<string, Type> { [ScaledObject.ApiGroupVersionKind] = typeof(ScaledObject) });

        string target = Assert.Single(keda.All<ScaledObject>()).Spec.ScaleTargetRef.Name;

        (V1Deployment workers, V1Container worker) = Assert.Single(rendered.MedallionContainers(), m => m.Deployment.Metadata.Name == target);
        Assert.True(rendered.IsWorker(workers, worker));
    }

    [Fact]
    public async Task The_grafana_dashboard_config_map_holds_the_shipped_dashboard()
    {
        Rendered rendered = await Rendered.RenderAsync("overlays/single");

        V1ConfigMap dashboard = rendered.Named<V1ConfigMap>("medallion-grafana-dashboard");

        Assert.Equal("1", dashboard.Metadata.Labels["grafana_dashboard"]);
        Assert.Equal(await File.ReadAllTextAsync(Repository.PathOf("deploy/grafana/medallion.json")), dashboard.Data["medallion.json"]);
    }

    private static double ShutdownGraceSeconds => Medallion.Cli.Commands.ShutdownGrace.AfterCancel.TotalSeconds;

    private static Dictionary<string, string> Values(Rendered rendered, V1Deployment deployment, V1Container container) =>
        rendered.Variables(deployment, container).ToDictionary(v => v.Key, v => v.Value.Value);
}
