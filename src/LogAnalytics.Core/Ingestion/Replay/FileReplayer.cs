using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;

namespace LogAnalytics.Ingestion.Replay;

/// <summary>Progress of a replay, reported about every batch.</summary>
/// <param name="File">The file being replayed.</param>
/// <param name="BytesRead">Bytes of the file read so far (compressed bytes for .gz).</param>
/// <param name="TotalBytes">The file's size.</param>
/// <param name="Lines">Lines read.</param>
/// <param name="Stored">Event rows stored.</param>
/// <param name="Quarantined">Lines quarantined.</param>
/// <param name="Skipped">Lines skipped because an earlier replay stored them already.</param>
/// <param name="Elapsed">Time since the file started.</param>
public readonly record struct ReplayProgress(string File, long BytesRead, long TotalBytes, long Lines, long Stored, long Quarantined, long Skipped, TimeSpan Elapsed)
{
    /// <summary>Lines per second so far.</summary>
    public double LinesPerSecond => Elapsed.TotalSeconds > 0 ? Lines / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Backfills NDJSON (.ndjson, or gzip-compressed .ndjson.gz) files through the same decoder and quarantine as the
/// Kafka path. Idempotent: a file is identified by the SHA-256 of its content and each line's number is its offset,
/// stored with the rows in one transaction, so replaying a file again (or resuming after a crash) adds nothing twice.
/// Decoding runs in parallel with writing.
/// </summary>
public sealed class FileReplayer(DuckDbEventStore store, EventDecoder decoder, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Lines per transaction. Default 100,000.</summary>
    public int BatchLines { get; init; } = 100_000;

    /// <summary>Replays one file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A .gz file is not valid gzip.</exception>
    public ReplayProgress Replay(string path, IProgress<ReplayProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"replay file {path} does not exist", path);
        }
        var source = "file:" + ContentHash(path);
        var alreadyStored = store.LoadOffsets(source).GetValueOrDefault(0, 0);
        var clockStart = Stopwatch.StartNew();
        var state = new ReplayProgress(path, 0, info.Length, 0, 0, 0, 0, TimeSpan.Zero);

        using var blocks = new BlockingCollection<IngestBatch>(boundedCapacity: 2);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        Exception? readerError = null;
        var reader = Task.Run(() =>
        {
            try
            {
                ReadBlocks(file, path, source, alreadyStored, blocks, cancellationToken);
            }
            catch (Exception ex)
            {
                readerError = ex;
            }
            finally
            {
                blocks.CompleteAdding();
            }
        }, CancellationToken.None);

        foreach (var batch in blocks.GetConsumingEnumerable(CancellationToken.None))
        {
            var written = store.Write(batch);
            var lastLine = batch.NextOffsets.Values.DefaultIfEmpty(0).Max();
            state = state with
            {
                BytesRead = SafePosition(file, info.Length),
                Lines = lastLine,
                Stored = state.Stored + written.Requests + written.Validations + written.Stages,
                Quarantined = state.Quarantined + written.Quarantined,
                Skipped = Math.Min(lastLine, alreadyStored),
                Elapsed = clockStart.Elapsed,
            };
            progress?.Report(state);
        }
        reader.GetAwaiter().GetResult();
        if (readerError is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(readerError).Throw();
        }
        cancellationToken.ThrowIfCancellationRequested();
        state = state with { BytesRead = info.Length, Elapsed = clockStart.Elapsed };
        progress?.Report(state);
        return state;
    }

    private static long SafePosition(FileStream file, long length)
    {
        try
        {
            return file.Position;
        }
        catch (ObjectDisposedException)
        {
            return length;
        }
    }

    private void ReadBlocks(FileStream file, string path, string source, long alreadyStored,
        BlockingCollection<IngestBatch> blocks, CancellationToken cancellationToken)
    {
        Stream content = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true)
            : file;
        var lines = new LineReader(content);
        long lineNumber = 0;
        var block = new List<(long Line, byte[] Bytes)>(BatchLines);
        while (!cancellationToken.IsCancellationRequested)
        {
            var line = lines.ReadLine();
            if (line is null)
            {
                break;
            }
            if (lineNumber >= alreadyStored)
            {
                block.Add((lineNumber, line));
            }
            lineNumber++;
            if (block.Count >= BatchLines)
            {
                blocks.Add(Decode(source, block, lineNumber), cancellationToken);
                block = new List<(long, byte[])>(BatchLines);
            }
        }
        if (block.Count > 0 || lineNumber > alreadyStored)
        {
            blocks.Add(Decode(source, block, lineNumber), cancellationToken);
        }
        else if (lineNumber > 0)
        {
            // Nothing new: an empty batch that still records the end (no rows written).
            var done = new IngestBatch();
            done.Advance(new SourcePosition(source, 0, lineNumber - 1));
            blocks.Add(done, cancellationToken);
        }
    }

    private IngestBatch Decode(string source, List<(long Line, byte[] Bytes)> block, long nextLine)
    {
        var results = new DecodeResult[block.Count];
        Parallel.For(0, block.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => results[i] = IsBlank(block[i].Bytes) ? default : decoder.Decode(block[i].Bytes));
        var batch = new IngestBatch();
        var now = _clock.GetUtcNow();
        for (var i = 0; i < block.Count; i++)
        {
            var position = new SourcePosition(source, 0, block[i].Line);
            if (IsBlank(block[i].Bytes))
            {
                batch.Advance(position); // a blank line is not an event: nothing to keep
                continue;
            }
            batch.Add(position, results[i], key: null, raw: results[i].IsAccepted ? null : block[i].Bytes, now);
        }
        if (nextLine > 0)
        {
            batch.Advance(new SourcePosition(source, 0, nextLine - 1));
        }
        return batch;
    }

    private static bool IsBlank(byte[] line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                return false;
            }
        }
        return true;
    }

    private static string ContentHash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var hash = SHA256.HashData(stream);
        return Convert.ToHexStringLower(hash, 0, 16);
    }

    /// <summary>Splits a stream into lines (LF, with an optional CR before it) as byte arrays, without decoding text.</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[1 << 20];
        private int _start;
        private int _end;
        private bool _eof;

        public byte[]? ReadLine()
        {
            List<byte[]>? pieces = null;
            while (true)
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                var newline = span.IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    var end = newline > 0 && span[newline - 1] == (byte)'\r' ? newline - 1 : newline;
                    var line = span[..end].ToArray();
                    _start += newline + 1;
                    return Join(pieces, line);
                }
                if (_eof)
                {
                    if (_end > _start)
                    {
                        var rest = span.ToArray();
                        _start = _end;
                        return Join(pieces, rest);
                    }
                    return pieces is null ? null : Join(pieces, []);
                }
                if (_start == 0 && _end == _buffer.Length)
                {
                    (pieces ??= []).Add(span.ToArray()); // a line longer than the buffer
                    _start = _end = 0;
                }
                else if (_start > 0)
                {
                    span.CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }
                var read = stream.Read(_buffer, _end, _buffer.Length - _end);
                if (read == 0)
                {
                    _eof = true;
                }
                _end += read;
            }
        }

        private static byte[] Join(List<byte[]>? pieces, byte[] last)
        {
            if (pieces is null)
            {
                return last;
            }
            pieces.Add(last);
            return pieces.SelectMany(p => p).ToArray();
        }
    }
}
