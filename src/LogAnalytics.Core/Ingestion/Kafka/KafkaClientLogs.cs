using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace LogAnalytics.Ingestion.Kafka;

/// <summary>Routes librdkafka's own log lines (otherwise raw <c>%3|…|FAIL|…</c> lines on stderr) through the host's
/// logger, with the client's name, so every client (consumer, dead-letter, verdict and stage producers) logs the same way.</summary>
internal static class KafkaClientLogs
{
    /// <summary>Logs one librdkafka line as <c>Kafka {KafkaClient} {Facility}: {Message}</c> at the matching level.</summary>
    public static void Write(ILogger log, string client, LogMessage message)
    {
        var level = message.Level switch
        {
            SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
            SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };
        log.Log(level, "Kafka {KafkaClient} {Facility}: {KafkaMessage} ({KafkaInstance})", client, message.Facility, message.Message, message.Name);
    }
}
