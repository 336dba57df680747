using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LogAnalytics.Tests.Report;

/// <summary>A real headless Chromium (Debian's /usr/bin/chromium, installed by .ci/run) driven over the DevTools protocol:
/// opens a page, collects console errors, exceptions and failed loads, evaluates script in the page and takes full-page
/// screenshots. Started with a fresh profile and no network services.</summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly ConcurrentQueue<JsonNode> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _receiver;
    private int _nextId;

    /// <summary>Errors the page reported: console.error calls, uncaught exceptions, log entries of level error (such as a
    /// resource that failed to load).</summary>
    public IReadOnlyList<string> Errors => _events
        .Where(e => (string?)e["method"] is "Runtime.exceptionThrown"
            || ((string?)e["method"] == "Runtime.consoleAPICalled" && (string?)e["params"]?["type"] is "error" or "assert")
            || ((string?)e["method"] == "Log.entryAdded" && (string?)e["params"]?["entry"]?["level"] == "error"))
        .Select(e => e.ToJsonString()).ToList();

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static string Executable => Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";

    public static async Task<HeadlessChromium> StartAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does.");
        }
        var profile = Directory.CreateTempSubdirectory("loganalytics-chromium-").FullName;
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
                     "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank",
                 })
        {
            start.ArgumentList.Add(arg);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Executable}");
        var browser = new HeadlessChromium(process, profile);
        try
        {
            var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            var stderr = new ConcurrentQueue<string>();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    endpoint.TrySetException(new InvalidOperationException("chromium exited before it listened: " + string.Join('\n', stderr)));
                    return;
                }
                stderr.Enqueue(e.Data);
                const string marker = "DevTools listening on ";
                var at = e.Data.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    endpoint.TrySetResult(e.Data[(at + marker.Length)..].Trim());
                }
            };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var browserUrl = new Uri(await endpoint.Task.WaitAsync(Deadline));
            using var http = new HttpClient { Timeout = Deadline };
            var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://{browserUrl.Authority}/json/list")))!.AsArray();
            var page = targets.First(t => (string?)t!["type"] == "page")!;
            await browser._socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), CancellationToken.None).WaitAsync(Deadline);
            browser._receiver = Task.Run(browser.ReceiveAsync);
            await browser.SendAsync("Runtime.enable");
            await browser.SendAsync("Log.enable");
            await browser.SendAsync("Page.enable");
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Navigates to <paramref name="url"/> and waits for its load event.</summary>
    public async Task OpenAsync(Uri url)
    {
        var loadsBefore = _events.Count(e => (string?)e["method"] == "Page.loadEventFired");
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url.AbsoluteUri });
        var deadline = DateTime.UtcNow + Deadline;
        while (_events.Count(e => (string?)e["method"] == "Page.loadEventFired") == loadsBefore)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{url} did not finish loading within {Deadline.TotalSeconds} s");
            }
            await Task.Delay(50); // polling for the load event, with a deadline
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page and returns its value (JSON-serialisable).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result["exceptionDetails"] is { } error)
        {
            throw new InvalidOperationException("script failed in the page: " + error.ToJsonString());
        }
        return result["result"]?["value"];
    }

    /// <summary>A PNG of the whole page at <paramref name="width"/> CSS pixels wide.</summary>
    public async Task<byte[]> ScreenshotAsync(int width)
    {
        var height = (int)(await EvaluateAsync("document.documentElement.scrollHeight"))!.GetValue<double>();
        await SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject
        {
            ["width"] = width, ["height"] = Math.Min(height, 16000), ["deviceScaleFactor"] = 1, ["mobile"] = false,
        });
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String((string)shot["data"]!);
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject? parameters = null)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        var reply = await answer.Task.WaitAsync(Deadline);
        if (reply["error"] is { } error)
        {
            throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
        }
        return reply["result"] ?? new JsonObject();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var read = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (read.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                message.Write(buffer, 0, read.Count);
                if (!read.EndOfMessage)
                {
                    continue;
                }
                var node = JsonNode.Parse(message.ToArray())!;
                message.SetLength(0);
                if (node["id"] is { } id && _pending.TryRemove(id.GetValue<int>(), out var answer))
                {
                    answer.TrySetResult(node);
                }
                else if (node["method"] is not null)
                {
                    _events.Enqueue(node);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or JsonException)
        {
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(new InvalidOperationException("the DevTools connection closed", ex));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Abort();
        _socket.Dispose();
        if (_receiver is not null)
        {
            await _receiver;
        }
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync().WaitAsync(Deadline);
        _process.Dispose();
        _stop.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still hold a lock file for a moment; a leftover temp profile is harmless.
        }
    }
}
