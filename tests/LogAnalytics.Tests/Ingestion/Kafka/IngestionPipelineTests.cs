using System.Text;
using Confluent.Kafka;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogAnalytics.Tests.Ingestion.Kafka;

/// <summary>The pipeline behind the consume loop, without a broker: chunks are stored in consume order with their
/// offsets, a flush stores everything handed over before it, a lost partition's queued messages are dropped while the
/// others are kept, redeliveries are not stored twice, and assignments resume from the stored offsets.</summary>
public sealed class IngestionPipelineTests : IDisposable
{
    private const string Topic = "router-logs";
    private readonly DuckDbEventStore _store = DuckDbEventStore.Open(":memory:");
    private readonly DeadLetterPublisher _deadLetters = new(new KafkaOptions { DeadLetterTopic = "" }, NullLogger<DeadLetterPublisher>.Instance);
    private readonly IngestionStatistics _statistics = new();

    private IngestionPipeline Create(int batchMaxEvents = 1000, int batchMaxDelayMs = 600_000) =>
        new(_store, new EventDecoder(), _deadLetters, _statistics, TimeProvider.System, NullLogger.Instance, "", batchMaxEvents,
            TimeSpan.FromMilliseconds(batchMaxDelayMs));

    private static ConsumeResult<byte[]?, byte[]?> Message(int partition, long offset, bool bad = false) => new()
    {
        Topic = Topic,
        Partition = new Partition(partition),
        Offset = new Offset(offset),
        Message = new Message<byte[]?, byte[]?>
        {
            Key = Encoding.UTF8.GetBytes($"k-{partition}-{offset}"),
            Value = Encoding.UTF8.GetBytes(bad
                ? "not json"
                : $$"""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"legacy","latency_ms":{{offset}},"status_code":200,"request_id":"r-{{partition}}-{{offset}}"}"""),
        },
    };

    private static List<ConsumeResult<byte[]?, byte[]?>> Range(int partition, long from, int count) =>
        Enumerable.Range(0, count).Select(i => Message(partition, from + i, bad: (from + i) % 50 == 7)).ToList();

    private List<(int Partition, long Offset)> StoredPositions() =>
        Rows("SELECT source_partition, source_offset FROM requests UNION ALL SELECT source_partition, source_offset FROM quarantine ORDER BY 1, 2");

    private List<(int Partition, long Offset)> Rows(string sql)
    {
        using var cmd = _store.Connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<(int, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt64(1)));
        }
        return rows;
    }

    private static List<(int, long)> Expected(params (int Partition, long From, int Count)[] ranges) =>
        ranges.SelectMany(r => Enumerable.Range(0, r.Count).Select(i => (r.Partition, r.From + i))).OrderBy(p => p).ToList();

    [Fact]
    public void Flush_stores_every_chunk_handed_over_before_it_with_its_offsets_in_order()
    {
        using var pipeline = Create(batchMaxEvents: 300);
        pipeline.Start(consumer: null);
        for (var chunk = 0; chunk < 10; chunk++)
        {
            pipeline.Post(Range(chunk % 2, chunk / 2 * 100, 100));
        }
        pipeline.Flush([]);

        Assert.Equal(Expected((0, 0, 500), (1, 0, 500)), StoredPositions());
        Assert.Equal(new Dictionary<int, long> { [0] = 500, [1] = 500 }, _store.LoadOffsets(Topic));
        Assert.Equal(20, Rows("SELECT source_partition, source_offset FROM quarantine").Count);
        Assert.Equal(1000, _statistics.Consumed);
        Assert.Equal(980, _statistics.Stored);
        Assert.Equal(20, _statistics.Quarantined);
    }

    [Fact]
    public void Redelivered_messages_are_not_stored_twice_and_assignment_resumes_from_the_stored_offsets()
    {
        using var pipeline = Create();
        pipeline.Start(consumer: null);
        pipeline.Post(Range(0, 0, 100));
        pipeline.Flush([(Topic, 0)]);

        var positions = pipeline.LoadPositions([new TopicPartition(Topic, 0), new TopicPartition(Topic, 1)]);
        Assert.Equal(100, positions.Single(p => p.Partition.Value == 0).Offset.Value);
        Assert.Equal(Offset.Unset, positions.Single(p => p.Partition.Value == 1).Offset);

        // A redelivery overlapping what is stored: only the new tail is stored.
        pipeline.Post(Range(0, 50, 100));
        pipeline.Flush([]);
        Assert.Equal(Expected((0, 0, 150)), StoredPositions());
        Assert.Equal(150, _store.LoadOffsets(Topic)[0]);
    }

    [Fact]
    public void A_lost_partition_loses_its_queued_messages_and_keeps_its_stored_offset_while_other_partitions_are_stored()
    {
        using var pipeline = Create();
        pipeline.Start(consumer: null);
        pipeline.Post(Range(0, 0, 100));
        pipeline.Flush([]);

        // Queued but not yet written (the batch is far from full and its deadline far away) when partition 0 is lost.
        pipeline.Post(Range(0, 100, 100));
        pipeline.Post(Range(1, 0, 100));
        pipeline.Drop([(Topic, 0)]);
        pipeline.Flush([]);

        Assert.Equal(Expected((0, 0, 100), (1, 0, 100)), StoredPositions());
        Assert.Equal(new Dictionary<int, long> { [0] = 100, [1] = 100 }, _store.LoadOffsets(Topic));

        // Assigned again later: resumes at 100 and stores what follows.
        var positions = pipeline.LoadPositions([new TopicPartition(Topic, 0)]);
        Assert.Equal(100, positions.Single().Offset.Value);
        pipeline.Post(Range(0, 100, 50));
        pipeline.Flush([]);
        Assert.Equal(Expected((0, 0, 150), (1, 0, 100)), StoredPositions());
    }

    [Fact]
    public void A_partition_lost_after_its_requests_joined_the_batch_is_left_out_and_the_rest_is_stored_at_once()
    {
        using var pipeline = Create();
        pipeline.Start(consumer: null);
        pipeline.Post(Range(0, 0, 100));
        pipeline.Flush([]);

        // One chunk of both partitions, assembled into the batch (its requests are rows in DuckDB's chunks by then:
        // LoadPositions returns once everything posted before it is assembled), then partition 0 is lost.
        pipeline.Post([.. Range(0, 100, 100), .. Range(1, 0, 100)]);
        pipeline.LoadPositions([]);
        pipeline.Drop([(Topic, 0)]);

        // Stored at once, without partition 0 and without a flush.
        Assert.Equal(Expected((0, 0, 100), (1, 0, 100)), StoredPositions());
        Assert.Equal(new Dictionary<int, long> { [0] = 100, [1] = 100 }, _store.LoadOffsets(Topic));

        // Assigned again: the same messages come again and are stored once.
        Assert.Equal(100, pipeline.LoadPositions([new TopicPartition(Topic, 0)]).Single().Offset.Value);
        pipeline.Post([.. Range(0, 100, 100), .. Range(1, 100, 10)]);
        pipeline.Flush([]);
        Assert.Equal(Expected((0, 0, 200), (1, 0, 110)), StoredPositions());
        Assert.Empty(Rows("SELECT source_partition, source_offset FROM requests GROUP BY ALL HAVING count(*) > 1"));
    }

    [Fact]
    public void A_batch_is_written_at_its_deadline_without_a_flush()
    {
        using var pipeline = Create(batchMaxEvents: 1_000_000, batchMaxDelayMs: 50);
        pipeline.Start(consumer: null);
        pipeline.Post(Range(3, 0, 10));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_statistics.Batches == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Yield();
        }
        Assert.Equal(1, _statistics.Batches);
        Assert.Equal(Expected((3, 0, 10)), StoredPositions());
    }

    [Fact]
    public void Under_a_backlog_a_due_batch_takes_the_chunks_already_waiting_up_to_its_backlog_limit()
    {
        using var pipeline = new IngestionPipeline(_store, new EventDecoder(), _deadLetters, _statistics, TimeProvider.System,
            NullLogger.Instance, "", batchMaxEvents: 10, TimeSpan.FromMinutes(10)) { BacklogBatchMaxEvents = 25 };
        Assert.Equal(IngestionPipeline.MinCapacity, pipeline.Capacity); // room for the four chunks below without a writer
        // Four chunks wait before the writer starts: the consumer is ahead of the writer.
        for (var i = 0; i < 4; i++)
        {
            pipeline.Post(Range(0, i * 10, 10));
        }
        pipeline.Start(consumer: null);
        pipeline.Flush([]);
        // 10 rows are due, but chunks wait behind them: the batch grows to 30 (past the backlog limit of 25) and is
        // written; the last chunk has only the flush behind it and goes alone.
        Assert.Equal(2, _statistics.Batches);
        Assert.Equal(Expected((0, 0, 40)), StoredPositions());
        Assert.Equal(40, _store.LoadOffsets(Topic)[0]);

        // Light traffic (nothing waiting): a due batch is written at its own size.
        pipeline.Post(Range(0, 40, 10));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_statistics.Batches < 3 && DateTime.UtcNow < deadline)
        {
            Thread.Yield();
        }
        Assert.Equal(3, _statistics.Batches);
        Assert.Equal(Expected((0, 0, 50)), StoredPositions());
    }

    /// <summary>A full chunk means the consumer is working through a backlog: a batch that is due waits for the next
    /// chunk instead of being written at its own size (fewer, larger transactions), within a short grace.</summary>
    [Fact]
    public void After_a_full_chunk_a_due_batch_waits_for_the_next_chunk_of_the_backlog()
    {
        using var pipeline = new IngestionPipeline(_store, new EventDecoder(), _deadLetters, _statistics, TimeProvider.System,
            NullLogger.Instance, "", batchMaxEvents: 10, TimeSpan.FromMinutes(10))
        {
            BacklogBatchMaxEvents = 1_000,
            NextChunkGrace = TimeSpan.FromMinutes(5), // far longer than the test: only the chunks decide
        };
        Assert.Equal(10, pipeline.ChunkSize);
        pipeline.Start(consumer: null);
        pipeline.Post(Range(0, 0, 10)); // full and due, nothing waiting behind it
        pipeline.Post(Range(0, 10, 10));
        pipeline.Post(Range(0, 20, 10));
        pipeline.Flush([]);

        Assert.Equal(1, _statistics.Batches);
        Assert.Equal(Expected((0, 0, 30)), StoredPositions());
        Assert.Equal(30, _store.LoadOffsets(Topic)[0]);
    }

    /// <summary>When the full chunk was the last, the batch is written once the grace has passed, not at
    /// <c>Ingestion:BatchMaxDelayMs</c> (ten minutes here); a partial chunk (light traffic) is written at once.</summary>
    [Theory]
    [InlineData(10)] // full
    [InlineData(12)] // one full chunk of 10 and a partial one of 2
    public void A_batch_after_the_last_full_chunk_is_written_after_the_grace(int messages)
    {
        using var pipeline = new IngestionPipeline(_store, new EventDecoder(), _deadLetters, _statistics, TimeProvider.System,
            NullLogger.Instance, "", batchMaxEvents: 10, TimeSpan.FromMinutes(10)) { BacklogBatchMaxEvents = 1_000 };
        pipeline.Start(consumer: null);
        pipeline.Post(Range(0, 0, 10));
        if (messages > 10)
        {
            pipeline.Post(Range(0, 10, messages - 10));
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_statistics.Batches == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Yield();
        }

        Assert.Equal(Expected((0, 0, messages)), StoredPositions());
        Assert.Equal(messages, _store.LoadOffsets(Topic)[0]);
    }

    [Fact]
    public async Task The_consumer_waits_while_the_queued_message_bytes_are_at_their_bound()
    {
        var chunkBytes = Range(0, 0, 10).Sum(m => (long)(m.Message.Value?.Length ?? 0));
        using var pipeline = new IngestionPipeline(_store, new EventDecoder(), _deadLetters, _statistics, TimeProvider.System,
            NullLogger.Instance, "", batchMaxEvents: 10, TimeSpan.FromMinutes(10)) { QueueMaxBytes = chunkBytes + 1 };
        Assert.Equal(IngestionPipeline.MinCapacity, pipeline.Capacity); // the count alone would let many chunks in
        pipeline.Post(Range(0, 0, 10)); // an empty queue always takes a chunk, however large
        var second = Task.Run(() => pipeline.Post(Range(0, 10, 10)));
        // No writer yet and the bytes would pass the bound: the consumer waits (up to the deadline, it must not get in).
        Assert.NotSame(second, await Task.WhenAny(second, Task.Delay(TimeSpan.FromMilliseconds(300))));
        pipeline.Start(consumer: null);
        await second.WaitAsync(TimeSpan.FromSeconds(30));
        pipeline.Flush([]);
        Assert.Equal(Expected((0, 0, 20)), StoredPositions());
    }

    [Theory]
    [InlineData(false, 1)] // no byte bound in reach: the backlog batch takes all four chunks
    [InlineData(true, 2)]  // a bound of 15 messages' bytes: written after 20 messages, twice
    public void A_batch_is_written_once_its_message_bytes_reach_the_bound_even_under_a_backlog(bool bounded, int batches)
    {
        var messageBytes = Range(0, 0, 40).Sum(m => (long)(m.Message.Value?.Length ?? 0)) / 40.0;
        using var pipeline = new IngestionPipeline(_store, new EventDecoder(), _deadLetters, _statistics, TimeProvider.System,
            NullLogger.Instance, "", batchMaxEvents: 10, TimeSpan.FromMinutes(10))
        {
            BacklogBatchMaxEvents = 1_000,
            BatchMaxBytes = bounded ? (long)(15 * messageBytes) : long.MaxValue,
        };
        for (var i = 0; i < 4; i++)
        {
            pipeline.Post(Range(0, i * 10, 10));
        }
        pipeline.Start(consumer: null);
        pipeline.Flush([]);
        Assert.Equal(batches, _statistics.Batches);
        Assert.Equal(Expected((0, 0, 40)), StoredPositions());
        Assert.Equal(40, _store.LoadOffsets(Topic)[0]);
    }

    [Fact]
    public void A_failed_write_stops_the_pipeline_and_is_reported_to_the_consumer_thread()
    {
        var pipeline = Create();
        pipeline.Start(consumer: null);
        _store.Execute("DROP TABLE ingest_offsets");
        pipeline.Post(Range(0, 0, 10));
        var error = Assert.Throws<InvalidOperationException>(() => pipeline.Flush([]));
        Assert.Contains("storing a batch failed", error.Message, StringComparison.Ordinal);
        Assert.True(pipeline.Failed);
        Assert.Throws<InvalidOperationException>(() => pipeline.Post(Range(0, 10, 10)));
        pipeline.Dispose();
    }

    public void Dispose()
    {
        _deadLetters.Dispose();
        _store.Dispose();
    }
}
