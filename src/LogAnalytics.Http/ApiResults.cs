using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace LogAnalytics.Http;

/// <summary>Every answer is JSON with <c>Content-Type: application/json</c>, errors included: Argo Rollouts counts a 200
/// whose body is not JSON as a success, so no empty or plain-text answer may ever leave the worker.</summary>
internal static class ApiResults
{
    public const string JsonContentType = "application/json";

    /// <summary>Serializer settings of the HTTP answers: snake_case like the verdict contract.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A JSON answer.</summary>
    public static IResult Json(object body, int status = StatusCodes.Status200OK) =>
        Results.Text(JsonSerializer.Serialize(body, Options), JsonContentType, System.Text.Encoding.UTF8, status);

    /// <summary>Already serialized JSON, sent byte for byte (the verdict exactly as on the topic).</summary>
    public static IResult RawJson(string json, int status = StatusCodes.Status200OK) =>
        Results.Text(json, JsonContentType, System.Text.Encoding.UTF8, status);

    /// <summary>An error: <c>{"error": "...", "experiment": "...", ...extra}</c>.</summary>
    public static IResult Error(int status, string error, string? experiment = null, IReadOnlyDictionary<string, object?>? extra = null)
    {
        var body = new Dictionary<string, object?> { ["error"] = error };
        if (experiment is not null)
        {
            body["experiment"] = experiment;
        }
        if (extra is not null)
        {
            foreach (var (k, v) in extra)
            {
                body[k] = v;
            }
        }
        body["status"] = status;
        return Json(body, status);
    }

    /// <summary>Writes an error body directly (middleware: status code pages, exception handler, fallback).</summary>
    public static Task WriteErrorAsync(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = JsonContentType;
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { error, status }, Options));
    }
}
