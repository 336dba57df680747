using System.Text;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Kafka;

namespace LogAnalytics.Tests.Ingestion.Kafka;

/// <summary>The consumer's compact copy of consumed messages: every message comes back as it went in (position, key,
/// value, a missing key or value told apart from an empty one), also past the first buffer and array sizes, and a
/// chunk taken from the pool again holds nothing of its previous use.</summary>
public sealed class MessageChunkTests
{
    private static readonly Random Seeded = new(20261208);

    [Fact]
    public void Every_message_comes_back_as_it_went_in_across_growth_of_the_buffer_and_the_arrays()
    {
        var messages = new List<(string Topic, int Partition, long Offset, byte[]? Key, byte[]? Value)>();
        for (var i = 0; i < 5000; i++)
        {
            var key = i % 7 == 0 ? null : i % 11 == 0 ? [] : Encoding.UTF8.GetBytes($"key-{i}");
            // Mostly router-sized values, some far larger than a chunk's first buffer, tombstones and empty ones.
            var size = i % 997 == 3 ? MessageChunk.BufferSize + 17 : i % 13 == 0 ? 0 : Seeded.Next(1, 900);
            var value = i % 17 == 0 ? null : RandomBytes(size);
            messages.Add((i % 3 == 0 ? "logs-a" : "logs-b", i % 5, 1_000_000L + i, key, value));
        }

        using var chunk = MessageChunk.Rent();
        foreach (var m in messages)
        {
            // A fresh string per message, as the client hands them over.
            chunk.Add(new string(m.Topic.AsSpan()), m.Partition, m.Offset, m.Key, m.Value);
        }

        Assert.Equal(messages.Count, chunk.Count);
        Assert.Equal(messages.Sum(m => (long)(m.Value?.Length ?? 0)), chunk.ValueBytes);
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            Assert.Equal(new SourcePosition(m.Topic, m.Partition, m.Offset), chunk.Position(i));
            Assert.Equal(m.Key, chunk.Key(i));
            Assert.Equal(m.Value is not null, chunk.HasValue(i));
            Assert.True(chunk.Value(i).SequenceEqual(m.Value ?? []), $"value of message {i}");
        }
    }

    [Fact]
    public void A_chunk_from_the_pool_holds_nothing_of_its_previous_use()
    {
        // Several at once, so that the pool has given back chunks it held before.
        var used = Enumerable.Range(0, 8).Select(_ => MessageChunk.Rent()).ToList();
        foreach (var chunk in used)
        {
            chunk.Add("logs", 1, 42, [1, 2, 3], RandomBytes(400));
            chunk.Dispose();
        }
        var again = Enumerable.Range(0, 8).Select(_ => MessageChunk.Rent()).ToList();
        Assert.Contains(again, c => used.Contains(c)); // reused, not merely new
        foreach (var chunk in again)
        {
            Assert.Equal(0, chunk.Count);
            Assert.Equal(0, chunk.ValueBytes);
            chunk.Add("logs", 2, 7, null, [9]);
            Assert.Equal(new SourcePosition("logs", 2, 7), chunk.Position(0));
            Assert.Null(chunk.Key(0));
            Assert.Equal([9], chunk.Value(0).ToArray());
            chunk.Dispose();
            chunk.Dispose(); // twice is harmless: the chunk goes back to the pool once
        }
        var distinct = Enumerable.Range(0, 16).Select(_ => MessageChunk.Rent()).ToList();
        Assert.Equal(distinct.Count, distinct.Distinct().Count());
        distinct.ForEach(c => c.Dispose());
    }

    [Fact]
    public void A_chunk_of_large_messages_is_full_by_its_bytes_before_its_count()
    {
        using var chunk = MessageChunk.Rent();
        var megabyte = RandomBytes(1 << 20);
        var added = 0;
        while (!chunk.IsFull(2048))
        {
            chunk.Add("logs", 0, added, null, megabyte);
            added++;
            Assert.True(added <= 16, "a chunk of 1 MiB messages must be full after 16 of them");
        }
        Assert.Equal(16, added); // 16 MiB of values: handed on long before 2,048 such messages (2 GiB) overflow a buffer
        Assert.True(chunk.Value(15).SequenceEqual(megabyte));

        using var small = MessageChunk.Rent();
        for (var i = 0; i < 2047; i++)
        {
            small.Add("logs", 0, i, null, [1, 2, 3]);
        }
        Assert.False(small.IsFull(2048));
        small.Add("logs", 0, 2047, null, [1, 2, 3]);
        Assert.True(small.IsFull(2048));
    }

    private static byte[] RandomBytes(int size)
    {
        var bytes = new byte[size];
        Seeded.NextBytes(bytes);
        return bytes;
    }
}
