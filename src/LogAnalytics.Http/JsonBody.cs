using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace LogAnalytics.Http;

/// <summary>Reads a request body as one JSON value, bounded by <c>Http:MaxRequestBodyBytes</c>: a huge body gets 413 and
/// malformed JSON 400, both as JSON, before anything is done with it.</summary>
internal static class JsonBody
{
    /// <summary>The parsed body, or the error answer to send instead.</summary>
    public static async Task<(JsonElement Body, IResult? Error)> ReadAsync(HttpRequest request, int maxBytes, string? experiment)
    {
        if (request.ContentLength > maxBytes)
        {
            return (default, TooLarge(maxBytes, experiment));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return (default, TooLarge(maxBytes, experiment));
            }
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            return (default, ApiResults.Error(StatusCodes.Status400BadRequest, "the request body is empty; send a JSON object", experiment));
        }
        try
        {
            using var doc = JsonDocument.Parse(buffer.ToArray());
            return (doc.RootElement.Clone(), null);
        }
        catch (JsonException ex)
        {
            return (default, ApiResults.Error(StatusCodes.Status400BadRequest, $"the request body is not valid JSON: {ex.Message}", experiment));
        }
    }

    private static IResult TooLarge(int maxBytes, string? experiment) =>
        ApiResults.Error(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than {maxBytes} bytes (Http:MaxRequestBodyBytes)", experiment);
}
