using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Http;

/// <summary>Endpoint filter for writes: when <c>Http:ApiKeys</c> is set, <c>Authorization: Bearer &lt;key&gt;</c> must
/// name one of them (compared in constant time; the key is never logged or echoed).</summary>
internal sealed class ApiKeyFilter(IOptions<HttpOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var keys = options.Value.ApiKeys;
        if (keys.Length == 0)
        {
            return await next(context);
        }
        var http = context.HttpContext;
        var experiment = http.Request.RouteValues.TryGetValue("id", out var id) ? id as string : null;
        var header = http.Request.Headers.Authorization.ToString();
        const string Bearer = "Bearer ";
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiResults.Error(StatusCodes.Status401Unauthorized, "this endpoint needs an API key: send Authorization: Bearer <key> (one of Http:ApiKeys)", experiment);
        }
        var given = Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim());
        if (!keys.Any(k => CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(k))))
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return ApiResults.Error(StatusCodes.Status401Unauthorized, "the API key is not one of Http:ApiKeys", experiment);
        }
        return await next(context);
    }
}
