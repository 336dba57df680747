using LogAnalytics.Tests.Cli;

namespace LogAnalytics.Tests.Http;

/// <summary>Bad <c>Http</c> settings stop <c>loganalytics run</c> at start with the key's name (exit 2), before anything
/// listens or consumes.</summary>
public sealed class HttpSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-http-settings-").FullName;

    [Fact]
    public void Bad_http_settings_stop_run_naming_the_key()
    {
        var config = Path.Combine(_dir, "bad.json");
        File.WriteAllText(config, $$"""
            { "Storage": { "DatabasePath": "{{Path.Combine(_dir, "x.duckdb")}}" },
              "Http": { "Urls": "ftp://0.0.0.0:8080", "ApiKeys": [ "" ], "MaxRequestBodyBytes": 10 } }
            """);
        var (exit, _, stderr) = CliProcess.Run("run", "--config", config);
        Assert.Equal(2, exit);
        Assert.Contains("loganalytics: configuration error: Http:Urls \"ftp://0.0.0.0:8080\" is not an http:// or https:// URL", stderr);
        Assert.Contains("Http:ApiKeys has an empty key", stderr);
        Assert.Contains("Http:MaxRequestBodyBytes 10 must be between 1024 and 16777216", stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "x.duckdb")), "nothing may start before the settings are valid");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
