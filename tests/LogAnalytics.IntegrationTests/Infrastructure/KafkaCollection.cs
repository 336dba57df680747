using Xunit;

namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>
/// Tests marked <c>[Collection(KafkaCollection.Name)]</c> share one <see cref="KafkaFixture"/> (one broker per test
/// run) and run one at a time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaFixture>
{
    /// <summary>The collection name, "kafka".</summary>
    public const string Name = "kafka";
}
