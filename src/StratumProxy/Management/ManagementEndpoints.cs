using Prometheus;
using StratumProxy.Filtering;
using StratumProxy.Stratum;

namespace StratumProxy.Management;

/// <summary>Maps the management endpoint's routes: metrics, health, status and the change API.</summary>
public static class ManagementEndpoints
{
    public static IEndpointRouteBuilder MapProxyManagement(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var access = services.GetRequiredService<ManagementAccess>();
        var registry = services.GetRequiredService<CollectorRegistry>();

        endpoints.MapGet("/healthz", () => Results.Text("ok\n"));

        var metricsPipeline = endpoints.CreateApplicationBuilder()
            .Use(async (context, next) =>
            {
                if (!access.MayReadMetrics(context))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return;
                }

                await next(context);
            })
            .UseMetricServer(settings => settings.Registry = registry, url: null)
            .Build();
        endpoints.Map("/metrics", metricsPipeline);

        endpoints.MapGet("/api/status", async (StatusReportBuilder builder, CancellationToken cancellationToken) =>
            Results.Json(await builder.BuildAsync(cancellationToken), ManagementJsonContext.Default.StatusReport));
        endpoints.MapGet("/api/workers", (StatusReportBuilder builder) =>
            Results.Json(builder.BuildWorkers(), ManagementJsonContext.Default.IReadOnlyListWorkerStatus));
        endpoints.MapPost("/api/sessions/{id:long}/close", (long id, HttpContext context, SessionRegistry sessions) =>
        {
            if (!access.MayChange(context))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

            var session = sessions.Sessions.FirstOrDefault(s => s.Id == id);
            if (session is null)
            {
                return Results.NotFound();
            }

            session.Abort("closed_by_operator");
            return Results.NoContent();
        });
        endpoints.MapBanApi();
        endpoints.MapDestinationDrainApi();
        endpoints.MapStatusPage();
        return endpoints;
    }
}
