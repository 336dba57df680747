using LogAnalytics.Hosting;
using LogAnalytics.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Tests.Storage.Lake;

public sealed class LakeOptionsTests
{
    private static StorageOptions Bind(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        using var provider = new ServiceCollection().AddLogAnalyticsStorage(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<StorageOptions>>().Value;
    }

    [Fact]
    public void The_lake_is_on_next_to_the_database_and_the_whole_database_snapshot_is_off_by_default()
    {
        var options = Bind(("Storage:DatabasePath", "/data/loganalytics.duckdb"));

        Assert.Equal("/data/loganalytics.lake", options.EffectiveLakePath);
        Assert.Equal(60, options.LakeFlushSeconds);
        Assert.Equal(14, options.RetentionDays);
        Assert.Null(options.EffectiveSnapshotPath);
    }

    [Fact]
    public void An_empty_lake_path_disables_the_lake_and_the_keys_bind_by_their_names()
    {
        var options = Bind(("Storage:DatabasePath", "/data/w.duckdb"), ("Storage:LakePath", ""),
            ("Storage:LakeFlushSeconds", "5"), ("Storage:RetentionDays", "1"), ("Storage:SnapshotIntervalSeconds", "30"));

        Assert.Null(options.EffectiveLakePath);
        Assert.Equal(5, options.LakeFlushSeconds);
        Assert.Equal(1, options.RetentionDays);
        Assert.Equal("/data/w.snapshot.duckdb", options.EffectiveSnapshotPath);
        Assert.Equal("/lake/shared", Bind(("Storage:DatabasePath", "/data/w.duckdb"), ("Storage:LakePath", "/lake/shared")).EffectiveLakePath);
    }

    [Theory]
    [InlineData("Storage:LakeFlushSeconds", "0")]
    [InlineData("Storage:RetentionDays", "-1")]
    public void A_bad_value_stops_start_up_with_the_key_name(string key, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(("Storage:DatabasePath", "/data/w.duckdb"), (key, value)));
        Assert.Contains(key.Split(':')[1], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shared_lake_is_off_by_default_binds_by_its_name_and_needs_a_lake()
    {
        Assert.False(Bind(("Storage:DatabasePath", "/data/w.duckdb")).LakeShared);
        Assert.True(Bind(("Storage:DatabasePath", "/data/w.duckdb"), ("Storage:LakePath", "/lake"), ("Storage:LakeShared", "true")).LakeShared);
        var error = Assert.Throws<OptionsValidationException>(() =>
            Bind(("Storage:DatabasePath", "/data/w.duckdb"), ("Storage:LakePath", ""), ("Storage:LakeShared", "true")));
        Assert.Contains("Storage:LakeShared", error.Message, StringComparison.Ordinal);
        Assert.Contains("Storage:LakePath", error.Message, StringComparison.Ordinal);
    }
}
