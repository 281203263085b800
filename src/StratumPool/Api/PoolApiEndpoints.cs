using Microsoft.AspNetCore.Mvc;

namespace StratumPool.Api;

/// <summary>Routes of the pool's HTTP JSON API.</summary>
public static class PoolApiEndpoints
{
    public static IEndpointRouteBuilder MapPoolApi(this IEndpointRouteBuilder endpoints)
    {
        var json = PoolApiJsonContext.Default;
        endpoints.MapGet("/api/pools", async (PoolApi api, CancellationToken ct) =>
            Results.Json(new PoolListResponse([await api.GetPoolAsync(ct)]), json.PoolListResponse));

        endpoints.MapGet("/api/pools/{id}", async (string id, PoolApi api, CancellationToken ct) =>
            IsPool(api, id)
                ? Results.Json(new PoolResponse(await api.GetPoolAsync(ct)), json.PoolResponse)
                : NotFound(id));

        endpoints.MapGet("/api/pools/{id}/blocks", async (string id, [FromQuery] int? page, [FromQuery] int? pageSize, PoolApi api, CancellationToken ct) =>
            IsPool(api, id)
                ? Results.Json(await api.GetBlocksAsync(page ?? 0, pageSize ?? 15, ct), json.IReadOnlyListBlockInfo)
                : NotFound(id));

        endpoints.MapGet("/api/pools/{id}/miners/{address}", async (string id, string address, PoolApi api, CancellationToken ct) =>
            IsPool(api, id)
                ? Results.Json(await api.GetMinerAsync(address, ct), json.MinerStatsResponse)
                : NotFound(id));

        return endpoints;
    }

    private static bool IsPool(PoolApi api, string id) => string.Equals(api.PoolId, id, StringComparison.OrdinalIgnoreCase);

    private static IResult NotFound(string id) =>
        Results.Json(new ApiError($"pool '{id}' not found"), PoolApiJsonContext.Default.ApiError, statusCode: StatusCodes.Status404NotFound);
}
