using YamlDotNet.RepresentationModel;

namespace LogAnalytics.Tests.Deploy;

/// <summary>Reading Kubernetes manifests of the repository as YAML, for the manifest tests.</summary>
internal static class ManifestYaml
{
    /// <summary>Every document of every <c>*.yaml</c> file directly in <paramref name="folder"/> (relative to the
    /// repository root), in file-name order.</summary>
    public static List<YamlMappingNode> Documents(string folder)
    {
        var docs = new List<YamlMappingNode>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryFiles.Root, folder), "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(File.ReadAllText(file)));
            docs.AddRange(stream.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }
        return docs;
    }

    /// <summary>The node at <paramref name="path"/> (map keys); fails the test naming a missing key.</summary>
    public static YamlNode Get(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            var map = Assert.IsType<YamlMappingNode>(node);
            Assert.True(map.Children.TryGetValue(new YamlScalarNode(key), out node!), $"missing key {key}");
        }
        return node;
    }

    /// <summary>The scalar at <paramref name="path"/>.</summary>
    public static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)Get(node, path)).Value!;
}
