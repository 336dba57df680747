namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>Waits for a condition with a deadline, checking it again after a short pause. Never a fixed sleep.</summary>
internal static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Evaluates <paramref name="condition"/> until it returns true; throws a <see cref="TimeoutException"/> built from
    /// <paramref name="describeTimeout"/> once <paramref name="timeout"/> has passed. Exceptions from the condition
    /// propagate (a condition that detects a dead process throws at once rather than waiting for the deadline).
    /// </summary>
    public static async Task UntilAsync(
        Func<Task<bool>> condition,
        TimeSpan timeout,
        Func<string> describeTimeout,
        CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0}s: {describeTimeout()}");
            }

            await Task.Delay(Interval, cancellationToken);
        }
    }
}
