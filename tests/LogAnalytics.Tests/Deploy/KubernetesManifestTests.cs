using System.Net;
using System.Text.Json;
using LogAnalytics.Tests.Http;
using YamlDotNet.RepresentationModel;

namespace LogAnalytics.Tests.Deploy;

/// <summary>deploy/kubernetes parsed as YAML: the probes call routes the worker really serves, on the port it listens on
/// with the ConfigMap's settings, and every reference (Service -> port, volumes -> PVC and ConfigMap, --config -> mount)
/// resolves.</summary>
public sealed class KubernetesManifestTests
{
    private static List<YamlMappingNode> Documents() => ManifestYaml.Documents(Path.Combine("deploy", "kubernetes"));

    private static YamlNode Get(YamlNode node, params string[] path) => ManifestYaml.Get(node, path);

    private static string Text(YamlNode node, params string[] path) => ManifestYaml.Text(node, path);

    private static YamlMappingNode Kind(List<YamlMappingNode> docs, string kind) => Assert.Single(docs, d => Text(d, "kind") == kind);

    [Fact]
    public async Task Probes_and_ports_match_what_the_worker_serves_with_the_configmap_settings()
    {
        var docs = Documents();
        var deployment = Kind(docs, "Deployment");
        var service = Kind(docs, "Service");
        var configMap = Kind(docs, "ConfigMap");
        var pvc = Kind(docs, "PersistentVolumeClaim");
        var pod = Get(deployment, "spec", "template", "spec");
        var container = (YamlMappingNode)Assert.Single(((YamlSequenceNode)Get(pod, "containers")).Children);

        var port = (YamlMappingNode)Assert.Single(((YamlSequenceNode)Get(container, "ports")).Children);
        var portName = Text(port, "name");
        var containerPort = int.Parse(Text(port, "containerPort"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("/healthz", Text(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/readyz", Text(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal(portName, Text(container, "livenessProbe", "httpGet", "port"));
        Assert.Equal(portName, Text(container, "readinessProbe", "httpGet", "port"));
        Assert.Equal("1", Text(deployment, "spec", "replicas")); // one worker owns the DuckDB file
        Assert.Equal("Recreate", Text(deployment, "spec", "strategy", "type"));
        Assert.Equal("true", Text(pod, "securityContext", "runAsNonRoot"));

        var servicePort = (YamlMappingNode)Assert.Single(((YamlSequenceNode)Get(service, "spec", "ports")).Children);
        Assert.Equal(portName, Text(servicePort, "targetPort"));
        Assert.Equal(Text(deployment, "spec", "selector", "matchLabels", "app.kubernetes.io/name"), Text(service, "spec", "selector", "app.kubernetes.io/name"));

        // Volumes resolve to the PVC and the ConfigMap; --config names the ConfigMap's key under its mount.
        var volumes = ((YamlSequenceNode)Get(pod, "volumes")).Children.Cast<YamlMappingNode>().ToDictionary(v => Text(v, "name"));
        var mounts = ((YamlSequenceNode)Get(container, "volumeMounts")).Children.Cast<YamlMappingNode>().ToDictionary(m => Text(m, "name"), m => Text(m, "mountPath"));
        Assert.Equal(Text(pvc, "metadata", "name"), Text(volumes["data"], "persistentVolumeClaim", "claimName"));
        Assert.Equal(Text(configMap, "metadata", "name"), Text(volumes["config"], "configMap", "name"));
        var args = ((YamlSequenceNode)Get(container, "args")).Children.Select(a => ((YamlScalarNode)a).Value!).ToList();
        Assert.Equal("run", args[0]);
        var configPath = args[args.IndexOf("--config") + 1];
        Assert.Equal(mounts["config"], Path.GetDirectoryName(configPath));
        var settingsJson = Text(configMap, "data", Path.GetFileName(configPath));

        // The ConfigMap's settings: Http:Urls listens on the container port, and the database sits on the PVC mount.
        using var settings = JsonDocument.Parse(settingsJson);
        var urls = LogAnalytics.Http.HttpOptions.ParseUrls(settings.RootElement.GetProperty("Http").GetProperty("Urls").GetString());
        Assert.Equal(containerPort, new Uri(Assert.Single(urls)).Port);
        Assert.StartsWith(mounts["data"] + "/", settings.RootElement.GetProperty("Storage").GetProperty("DatabasePath").GetString());
        // The Dockerfile exposes the same port and runs as non-root.
        var dockerfile = RepositoryFiles.Read("Dockerfile");
        Assert.Contains($"\nEXPOSE {containerPort}\n", dockerfile);

        // The worker, given exactly the ConfigMap's settings, validates them, and its HTTP surface answers the probe
        // paths (200 or 503 with checks, never 404).
        var configFile = Path.Combine(Directory.CreateTempSubdirectory("la-k8s-").FullName, "loganalytics.json");
        File.WriteAllText(configFile, settingsJson);
        using (var host = LogAnalytics.Cli.AppHost.BuildWorkerHost(configFile))
        {
            LogAnalytics.Cli.AppHost.ValidateSettings(host.Services);
            Assert.IsType<Microsoft.AspNetCore.Builder.WebApplication>(host); // Http:Urls set -> the HTTP surface is hosted
        }
        await using var api = await ApiServer.StartAsync();
        foreach (var path in new[] { Text(container, "livenessProbe", "httpGet", "path"), Text(container, "readinessProbe", "httpGet", "path") })
        {
            var response = await api.Client.GetAsync(path);
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.True(body.RootElement.TryGetProperty("checks", out _), $"{path} is not a probe route");
        }
    }
}
