using Microsoft.Extensions.Hosting;

namespace LogAnalytics.Cli.Demo;

/// <summary>
/// A host lifetime that does not listen to Ctrl-C / SIGTERM. In the demo the command itself handles Ctrl-C (stop the
/// traffic, then the host, then print where the data is); the default console lifetime would race it and stop the
/// worker first. So the application stopping on its own means the worker failed.
/// </summary>
internal sealed class DemoHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
