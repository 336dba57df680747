using LogAnalytics.Experiments;

namespace LogAnalytics.Tests.Experiments;

/// <summary>The --baseline-endpoint / --canary-endpoint / --stage shortcut as an experiment configuration.</summary>
public sealed class ExperimentShortcutTests
{
    [Fact]
    public void Adds_the_default_experiment_when_none_is_configured()
    {
        var options = new ExperimentsOptions();
        new ExperimentShortcut("legacy", "holy_sheep", null).Apply(options);

        var experiment = Assert.Single(options.Items);
        Assert.Equal(ExperimentDefaults.DefaultExperimentId, experiment.Id);
        Assert.Equal(("legacy", "holy_sheep"), (experiment.BaselineEndpoint, experiment.CanaryEndpoint));
        Assert.Null(experiment.CurrentStage);
        Assert.Empty(ExperimentCatalog.Validate(options, new HashSet<string>()));
    }

    [Fact]
    public void Overrides_the_endpoints_and_stage_of_a_configured_experiment_of_that_id_and_keeps_the_rest()
    {
        var options = new ExperimentsOptions
        {
            Items = [new ExperimentOptions { Id = "migration", BaselineEndpoint = "a", CanaryEndpoint = "b", MinSamples = 50, Stages = [5, 25, 100] }],
        };
        new ExperimentShortcut(" legacy ", "holy_sheep", 25, "migration").Apply(options);

        var experiment = Assert.Single(options.Items);
        Assert.Equal(("legacy", "holy_sheep", 25.0, 50), (experiment.BaselineEndpoint, experiment.CanaryEndpoint, experiment.CurrentStage!.Value, experiment.MinSamples!.Value));
        Assert.Equal([5, 25, 100], experiment.Stages!);
    }

    [Fact]
    public void A_stage_off_the_ladder_joins_it_in_order()
    {
        var options = new ExperimentsOptions();
        new ExperimentShortcut("legacy", "holy_sheep", 10).Apply(options);
        Assert.Equal([5, 10, 25, 50, 100], options.Items[0].Stages!);
        Assert.Empty(ExperimentCatalog.Validate(options, new HashSet<string>()));
    }

    [Theory]
    [InlineData("legacy", null, null, "go together")]
    [InlineData(null, "holy_sheep", null, "go together")]
    [InlineData("a", "a", null, "two different endpoints")]
    [InlineData("a", "b", 0.0, "--stage 0")]
    [InlineData("a", "b", 101.0, "--stage 101")]
    public void Bad_combinations_are_reported_naming_the_flags(string? baseline, string? canary, double? stage, string message)
    {
        var errors = new ExperimentShortcut(baseline, canary, stage).Validate();
        Assert.Contains(errors, e => e.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Nothing_given_changes_nothing()
    {
        var options = new ExperimentsOptions();
        var shortcut = new ExperimentShortcut(null, null, null);
        Assert.False(shortcut.IsGiven);
        Assert.Empty(shortcut.Validate());
        shortcut.Apply(options);
        Assert.Empty(options.Items);
    }
}
