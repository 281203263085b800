using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using StratumProxy.Management;

namespace StratumProxy.Filtering;

/// <summary>
/// The management API's bans: <c>GET /api/bans</c> lists those in force, <c>DELETE /api/bans/{address}</c> lifts one
/// (allowed to whom <see cref="ManagementAccess.MayChange"/> allows).
/// </summary>
public static class BanApi
{
    public static IEndpointRouteBuilder MapBanApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/bans", (BanPolicy bans) =>
            Results.Json(
                bans.List().Select(b => new BanStatus(b.Address.ToString(), b.Reason, b.BannedAt, b.ExpiresAt)).ToList(),
                BanApiJsonContext.Default.ListBanStatus));

        endpoints.MapDelete("/api/bans/{address}", (string address, HttpContext context, BanPolicy bans, ManagementAccess access) =>
        {
            if (!access.MayChange(context))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

            if (!IPAddress.TryParse(address, out var ip))
            {
                return Results.BadRequest($"'{address}' is not an IP address.");
            }

            return bans.Lift(ip) ? Results.NoContent() : Results.NotFound();
        });
        return endpoints;
    }
}

/// <summary>One ban as the management API shows it.</summary>
public sealed record BanStatus(string Address, string Reason, DateTimeOffset BannedAt, DateTimeOffset ExpiresAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(List<BanStatus>))]
internal sealed partial class BanApiJsonContext : JsonSerializerContext;
