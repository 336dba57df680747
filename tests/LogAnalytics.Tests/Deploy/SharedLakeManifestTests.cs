using System.CommandLine;
using System.Text.Json;
using LogAnalytics.Cli.Commands;
using LogAnalytics.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using YamlDotNet.RepresentationModel;

namespace LogAnalytics.Tests.Deploy;

/// <summary>deploy/kubernetes/shared-lake (N ingest workers + one evaluator + a shared lake, README "Beyond one
/// machine") parsed as YAML: every reference resolves, the settings bind to what the worker reads, each worker has a
/// volume of its own and every process the same ReadWriteMany lake at the path the settings and <c>--lake</c> name,
/// and the arguments parse with the CLI's own commands.</summary>
public sealed class SharedLakeManifestTests
{
    private static readonly string Folder = Path.Combine("deploy", "kubernetes", "shared-lake");

    private static List<YamlMappingNode> Documents() => ManifestYaml.Documents(Folder);

    private static YamlNode Get(YamlNode node, params string[] path) => ManifestYaml.Get(node, path);

    private static string Text(YamlNode node, params string[] path) => ManifestYaml.Text(node, path);

    private static List<YamlMappingNode> Items(YamlNode node, params string[] path) =>
        ((YamlSequenceNode)Get(node, path)).Children.Cast<YamlMappingNode>().ToList();

    private static List<string> Strings(YamlNode node, params string[] path) =>
        ((YamlSequenceNode)Get(node, path)).Children.Select(a => ((YamlScalarNode)a).Value!).ToList();

    private static YamlMappingNode Single(List<YamlMappingNode> docs, string kind, string? name = null) =>
        Assert.Single(docs, d => Text(d, "kind") == kind && (name is null || Text(d, "metadata", "name") == name));

    /// <summary>Mount path -> (volume name, claim name or null) of a pod's only container.</summary>
    private static Dictionary<string, (string Volume, string? Claim)> Mounts(YamlNode podSpec)
    {
        var container = Assert.Single(Items(podSpec, "containers"));
        var volumes = Items(podSpec, "volumes").ToDictionary(v => Text(v, "name"));
        return Items(container, "volumeMounts").ToDictionary(
            m => Text(m, "mountPath"),
            m => (Text(m, "name"), volumes.TryGetValue(Text(m, "name"), out var v) && v.Children.ContainsKey(new YamlScalarNode("persistentVolumeClaim"))
                ? Text(v, "persistentVolumeClaim", "claimName")
                : null));
    }

    private static string Under(string path, Dictionary<string, (string Volume, string? Claim)> mounts) =>
        Assert.Single(mounts.Keys, m => path.StartsWith(m + "/", StringComparison.Ordinal));

    [Fact]
    public void Workers_have_a_volume_each_and_share_the_ReadWriteMany_lake_their_settings_name()
    {
        var docs = Documents();
        var workers = Single(docs, "StatefulSet");
        var pod = Get(workers, "spec", "template", "spec");
        var container = Assert.Single(Items(pod, "containers"));
        var args = Strings(container, "args");
        Assert.Equal("run", args[0]);
        Assert.True(int.Parse(Text(workers, "spec", "replicas"), System.Globalization.CultureInfo.InvariantCulture) >= 2);
        Assert.Equal("Parallel", Text(workers, "spec", "podManagementPolicy"));

        // The settings the workers are given, bound exactly as the worker binds them.
        var configMount = Path.GetDirectoryName(args[args.IndexOf("--config") + 1])!;
        var configMap = Single(docs, "ConfigMap");
        var mounts = Mounts(pod);
        Assert.Equal(Text(configMap, "metadata", "name"), Text(Items(pod, "volumes").Single(v => Text(v, "name") == mounts[configMount].Volume), "configMap", "name"));
        var configFile = WriteSettings(Text(configMap, "data", Path.GetFileName(args[args.IndexOf("--config") + 1])));
        StorageOptions storage;
        using (var host = LogAnalytics.Cli.AppHost.BuildWorkerHost(configFile))
        {
            LogAnalytics.Cli.AppHost.ValidateSettings(host.Services);
            storage = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        }
        Assert.True(storage.LakeShared);

        // The DuckDB file sits on the pod's own volume (a volumeClaimTemplate, ReadWriteOnce), never on the lake.
        var dataMount = Under(storage.DatabasePath, mounts);
        var template = Assert.Single(Items(workers, "spec", "volumeClaimTemplates"), t => Text(t, "metadata", "name") == mounts[dataMount].Volume);
        Assert.Equal(["ReadWriteOnce"], Strings(template, "spec", "accessModes"));

        // The lake is mounted where Storage:LakePath points, from the ReadWriteMany claim.
        Assert.True(mounts.TryGetValue(storage.EffectiveLakePath!, out var lake), $"nothing mounted at Storage:LakePath {storage.EffectiveLakePath}");
        var lakeClaim = Single(docs, "PersistentVolumeClaim", lake.Claim);
        Assert.Equal(["ReadWriteMany"], Strings(lakeClaim, "spec", "accessModes"));

        // The headless Service the StatefulSet names selects its pods; probes call the worker's probe routes on its port.
        var service = Single(docs, "Service");
        Assert.Equal(Text(service, "metadata", "name"), Text(workers, "spec", "serviceName"));
        Assert.Equal("None", Text(service, "spec", "clusterIP"));
        Assert.Equal(Text(workers, "spec", "template", "metadata", "labels", "app.kubernetes.io/name"), Text(service, "spec", "selector", "app.kubernetes.io/name"));
        var port = Assert.Single(Items(container, "ports"));
        Assert.Equal("/healthz", Text(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/readyz", Text(container, "readinessProbe", "httpGet", "path"));
        Assert.Equal(Text(port, "name"), Text(container, "readinessProbe", "httpGet", "port"));
        using var settings = JsonDocument.Parse(File.ReadAllText(configFile));
        var urls = LogAnalytics.Http.HttpOptions.ParseUrls(settings.RootElement.GetProperty("Http").GetProperty("Urls").GetString());
        Assert.Equal(Text(port, "containerPort"), new Uri(Assert.Single(urls)).Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Empty(Parse(RunCommand.Create(), args).Errors);
    }

    [Fact]
    public void One_evaluator_reads_the_same_lake_with_a_file_of_its_own_and_its_arguments_parse()
    {
        var docs = Documents();
        var evaluator = Single(docs, "Deployment");
        Assert.Equal("1", Text(evaluator, "spec", "replicas"));
        Assert.Equal("Recreate", Text(evaluator, "spec", "strategy", "type"));
        var pod = Get(evaluator, "spec", "template", "spec");
        var args = Strings(Assert.Single(Items(pod, "containers")), "args");
        Assert.Equal("evaluate", args[0]);
        var parsed = Parse(EvaluateCommand.Create(), args);
        Assert.Empty(parsed.Errors);

        var mounts = Mounts(pod);
        var lakePath = args[args.IndexOf("--lake") + 1];
        var workerPod = Get(Single(docs, "StatefulSet"), "spec", "template", "spec");
        var workerMounts = Mounts(workerPod);
        // The same claim as the workers' lake, at the path --lake names.
        Assert.True(mounts.TryGetValue(lakePath, out var lake), $"nothing mounted at --lake {lakePath}");
        Assert.NotNull(lake.Claim);
        Assert.Contains(workerMounts.Values, m => m.Claim == lake.Claim);
        // Its DuckDB file is on a ReadWriteOnce claim of its own: not the lake, not a worker's.
        var db = args[args.IndexOf("--db") + 1];
        var state = mounts[Under(db, mounts)];
        Assert.NotEqual(lake.Claim, state.Claim);
        Assert.Equal(["ReadWriteOnce"], Strings(Single(docs, "PersistentVolumeClaim", state.Claim), "spec", "accessModes"));
        // The same settings as the workers (the experiments it judges).
        var configMount = Path.GetDirectoryName(args[args.IndexOf("--config") + 1])!;
        Assert.Equal(Text(Single(docs, "ConfigMap"), "metadata", "name"),
            Text(Items(pod, "volumes").Single(v => Text(v, "name") == mounts[configMount].Volume), "configMap", "name"));
    }

    private static ParseResult Parse(Command command, List<string> args) => new RootCommand { command }.Parse(args);

    private static string WriteSettings(string json)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("la-k8s-shared-").FullName, "loganalytics.json");
        File.WriteAllText(file, json);
        return file;
    }
}
