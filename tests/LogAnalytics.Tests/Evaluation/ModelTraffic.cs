using LogAnalytics.Kpis;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>One model's behaviour in simulated traffic: lognormal latency, a failure probability, and optionally time
/// to first token and completion tokens.</summary>
internal sealed record ModelProfile(string Model, double MedianMs, double ErrorRate, double Sigma = 0.5,
    double? TtftMedianMs = null, double? OutputTokens = null, double MsPerToken = 0);

/// <summary>Grows one side's requests look by look with a given model mix (seeded).</summary>
internal sealed class ModelTraffic(Random random, string endpoint, params (ModelProfile Profile, double Share)[] mix)
{
    private readonly ArmSampleBuilder _builder = new();

    public void Add(int requests)
    {
        for (var i = 0; i < requests; i++)
        {
            var u = random.NextDouble();
            var profile = mix[^1].Profile;
            foreach (var (p, share) in mix)
            {
                if (u < share)
                {
                    profile = p;
                    break;
                }
                u -= share;
            }
            long? tokens = profile.OutputTokens is { } t ? Math.Max(1, (long)Math.Round(t * Math.Exp(0.3 * Normal()))) : null;
            var latency = profile.MedianMs * Math.Exp(profile.Sigma * Normal()) + (tokens ?? 0) * profile.MsPerToken;
            double? ttft = profile.TtftMedianMs is { } f ? f * Math.Exp(0.4 * Normal()) : null;
            _builder.Add(Math.Round(latency, 1), random.NextDouble() < profile.ErrorRate ? "server" : null, profile.Model, ttft, tokens);
        }
    }

    public ArmSample Build() => _builder.Build([endpoint]);

    private double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
