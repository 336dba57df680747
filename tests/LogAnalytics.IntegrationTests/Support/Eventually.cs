using System.Diagnostics;

namespace LogAnalytics.IntegrationTests.Support;

/// <summary>Waits on a condition with a deadline (never a fixed sleep as synchronisation).</summary>
public static class Eventually
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Condition not met within {timeout}: {describe()}");
            }
            await Task.Delay(100);
        }
    }
}
