using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LogAnalytics.Kpis.Pricing;

/// <summary>
/// The price book file (the I/O adapter of <see cref="PriceBook"/>): read at start-up, re-read when the file changes
/// so a user edits prices without restarting. A file that turns invalid keeps the last good book and logs what to fix.
/// </summary>
public sealed class PriceBookFile
{
    private readonly string _path;
    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private DateTime _lastWrite;
    private long _lastLength;
    private PriceBook _current;

    private PriceBookFile(string path, PriceBook initial, ILogger log)
    {
        _path = path;
        _current = initial;
        _log = log;
        (_lastWrite, _lastLength) = Stamp(path);
    }

    /// <summary>The file path.</summary>
    public string Path => _path;

    /// <summary>Loads the book at <paramref name="options"/>' path; a missing file is an empty book (logged).</summary>
    /// <exception cref="PriceBookException">The file exists but is not a valid price book (the message says where).</exception>
    public static PriceBookFile Load(PricingOptions options, ILogger? log = null)
    {
        log ??= NullLogger.Instance;
        var path = options.ResolvedPath();
        if (!File.Exists(path))
        {
            log.LogWarning("No price book at {PriceBookPath}: costs come only from events' cost_usd and other requests are reported as unpriced. Set Pricing:Path to a price book (see config/pricing.json)", path);
            return new PriceBookFile(path, PriceBook.Empty, log);
        }
        var book = PriceBook.Parse(File.ReadAllText(path), path);
        log.LogInformation("Price book {PriceBookPath}: {PriceCount} prices, {AliasCount} aliases", path, book.Prices.Count, book.Aliases.Count);
        return new PriceBookFile(path, book, log);
    }

    /// <summary>The current book, re-read first if the file changed since the last call.</summary>
    public PriceBook Current
    {
        get
        {
            lock (_gate)
            {
                var stamp = Stamp(_path);
                if (stamp == (_lastWrite, _lastLength))
                {
                    return _current;
                }
                (_lastWrite, _lastLength) = stamp;
                if (stamp.Length < 0)
                {
                    _log.LogWarning("The price book {PriceBookPath} was removed; keeping the prices read before. Restore the file or set Pricing:Path", _path);
                    return _current;
                }
                try
                {
                    _current = PriceBook.Parse(File.ReadAllText(_path), _path);
                    _log.LogInformation("Price book {PriceBookPath} changed and was re-read: {PriceCount} prices, {AliasCount} aliases", _path, _current.Prices.Count, _current.Aliases.Count);
                }
                catch (Exception ex) when (ex is PriceBookException or IOException or UnauthorizedAccessException)
                {
                    _log.LogError("The price book {PriceBookPath} changed but cannot be used: {Problem}. Keeping the prices read before; fix the file and save it again", _path, ex.Message);
                }
                return _current;
            }
        }
    }

    private static (DateTime Write, long Length) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }
}
