using k8s;
using k8s.Models;

namespace Medallion.Deploy.Tests;

/// <summary>
/// A Kustomize directory of deploy/kubernetes rendered with <c>kubectl kustomize</c> and every object read strictly into
/// the typed models of the Kubernetes client (an unknown field fails, naming it and its line in the rendered YAML).
/// </summary>
internal sealed class Rendered
{
    private Rendered(string directory, IReadOnlyList<object> objects)
    {
        Directory = directory;
        Objects = objects;
    }

    /// <summary>The directory below deploy/kubernetes, e.g. <c>overlays/single</c>.</summary>
    public string Directory { get; }

    public IReadOnlyList<object> Objects { get; }

    /// <summary>Renders <paramref name="directory"/> (below deploy/kubernetes) and reads its objects.</summary>
    /// <param name="typeMap">apiVersion/kind to model; the client's built-in kinds when null.</param>
    public static async Task<Rendered> RenderAsync(string directory, IDictionary<string, Type>? typeMap = null) =>
        new(directory, Read(directory, await YamlAsync(directory), typeMap));

    /// <summary>The YAML <c>kubectl kustomize</c> renders for <paramref name="directory"/> (below deploy/kubernetes).</summary>
    public static async Task<string> YamlAsync(string directory)
    {
        Tool.Result kustomize = await Tool.RunAsync("kubectl", "kustomize", Repository.PathOf(Path.Combine("deploy", "kubernetes", directory)));
        Assert.True(kustomize.ExitCode == 0, $"kubectl kustomize deploy/kubernetes/{directory} failed: {kustomize.Error}");
        return kustomize.Output;
    }

    private static List<object> Read(string directory, string yaml, IDictionary<string, Type>? typeMap)
    {
        try
        {
            return [.. KubernetesYaml.LoadAllFromString(yaml, typeMap, strict: true)];
        }
        catch (Exception exception) when (exception is YamlDotNet.Core.YamlException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidOperationException($"deploy/kubernetes/{directory}, as kubectl kustomize renders it: {exception.Message} {exception.InnerException?.Message}", exception);
        }
    }

    /// <summary>The objects of type <typeparamref name="T"/>.</summary>
    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    /// <summary>The one object of type <typeparamref name="T"/> named <paramref name="name"/>.</summary>
    public T Named<T>(string name) where T : IMetadata<V1ObjectMeta> =>
        All<T>().SingleOrDefault(o => o.Metadata.Name == name)
        ?? throw new InvalidOperationException($"deploy/kubernetes/{Directory} has no {typeof(T).Name} {name}");

    /// <summary>The Deployments that run <c>medallion</c>: their pod templates with the container of the release image.</summary>
    public IEnumerable<(V1Deployment Deployment, V1Container Container)> MedallionContainers() =>
        from deployment in All<V1Deployment>()
        from container in deployment.Spec.Template.Spec.Containers
        where ImageName(container.Image) == "medallion"
        select (deployment, container);

    /// <summary>The Medallion containers that serve (every role but worker): what the Service, the Ingress and the disruption budget reach.</summary>
    public IEnumerable<(V1Deployment Deployment, V1Container Container)> ServingContainers() =>
        MedallionContainers().Where(m => !IsWorker(m.Deployment, m.Container));

    /// <summary>Whether the container runs <c>medallion server --role worker</c>.</summary>
    public bool IsWorker(V1Deployment deployment, V1Container container) =>
        Variables(deployment, container).TryGetValue("MEDALLION_ROLE", out (string Value, string Where) role) && role.Value == "worker";

    /// <summary>The variables a container gets: its ConfigMaps' (envFrom) and its own env, each with where it comes from.</summary>
    public IReadOnlyDictionary<string, (string Value, string Where)> Variables(V1Deployment deployment, V1Container container)
    {
        var variables = new Dictionary<string, (string, string)>();
        foreach (V1EnvFromSource source in container.EnvFrom ?? [])
        {
            Assert.True(source.ConfigMapRef is not null, $"deploy/kubernetes/{Directory}: Deployment {deployment.Metadata.Name}, container {container.Name}: envFrom takes only ConfigMaps, whose variables can be checked");
            foreach ((string name, string value) in Named<V1ConfigMap>(source.ConfigMapRef.Name).Data)
            {
                variables[name] = (value, $"ConfigMap {source.ConfigMapRef.Name}, key {name}");
            }
        }

        foreach (V1EnvVar variable in container.Env ?? [])
        {
            variables[variable.Name] = (variable.Value ?? $"<from {variable.ValueFrom?.SecretKeyRef?.Name ?? variable.ValueFrom?.ConfigMapKeyRef?.Name}>", $"Deployment {deployment.Metadata.Name}, container {container.Name}, env {variable.Name}");
        }

        return variables;
    }

    /// <summary>An image reference's name without registry or tag: <c>registry.example.com/medallion:0.1.0</c> is <c>medallion</c>.</summary>
    public static string ImageName(string image) => image.Split('/')[^1].Split('@')[0].Split(':')[0];

    /// <summary>An image reference's tag, or null.</summary>
    public static string? ImageTag(string image) => image.Split('/')[^1].Split('@')[0].Split(':') is [_, string tag] ? tag : null;
}
