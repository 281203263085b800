using System.Text.Json;
using System.Text.Json.Serialization;
using StratumProxy.Health;
using StratumProxy.Routing;
using StratumProxy.Stratum;

namespace StratumProxy.Management;

/// <summary>
/// Takes a pool node out of rotation for maintenance and puts it back:
/// <c>POST /api/clusters/{cluster}/destinations/{destination}/drain</c> (optionally <c>?closeSessions=true</c>, so its
/// miners reconnect and land on the other nodes) and <c>.../ready</c>. Changes need <see cref="ManagementAccess.MayChange"/>.
/// </summary>
public static partial class DestinationDrainApi
{
    public const string ClosedReason = "destination_drained";

    public static IEndpointRouteBuilder MapDestinationDrainApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/api/clusters/{cluster}/destinations/{destination}/drain", (string cluster, string destination, bool? closeSessions, HttpContext context, ManagementAccess access, ClusterRegistry clusters, SessionRegistry sessions, HealthMetrics metrics, ILoggerFactory loggers) =>
            Change(cluster, destination, held: true, closeSessions ?? false, context, access, clusters, sessions, metrics, loggers));
        endpoints.MapPost("/api/clusters/{cluster}/destinations/{destination}/ready", (string cluster, string destination, HttpContext context, ManagementAccess access, ClusterRegistry clusters, SessionRegistry sessions, HealthMetrics metrics, ILoggerFactory loggers) =>
            Change(cluster, destination, held: false, closeSessions: false, context, access, clusters, sessions, metrics, loggers));
        return endpoints;
    }

    private static IResult Change(string cluster, string destination, bool held, bool closeSessions, HttpContext context, ManagementAccess access, ClusterRegistry clusters, SessionRegistry sessions, HealthMetrics metrics, ILoggerFactory loggers)
    {
        if (!access.MayChange(context))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (!clusters.TryGetCluster(cluster, out var state))
        {
            return Results.NotFound($"No cluster '{cluster}'.");
        }

        var target = state.Model.FindDestination(destination);
        if (target is null)
        {
            return Results.NotFound($"No destination '{destination}' in cluster '{cluster}'.");
        }

        var changed = target.SetHeldByOperator(held);
        metrics.PublishDrained(target);
        var closed = 0;
        if (held && closeSessions)
        {
            foreach (var session in sessions.Sessions)
            {
                if (string.Equals(session.Cluster, state.Name, StringComparison.Ordinal) && string.Equals(session.Destination, target.Name, StringComparison.Ordinal))
                {
                    session.Abort(ClosedReason);
                    closed++;
                }
            }
        }

        var logger = loggers.CreateLogger(typeof(DestinationDrainApi));
        if (held)
        {
            LogDrained(logger, state.Name, target.Name, changed, closed);
        }
        else
        {
            LogReady(logger, state.Name, target.Name, changed);
        }

        return Results.Json(
            new DestinationDrainResult(state.Name, target.Name, target.IsHeldByOperator, changed, target.ActiveSessions, closed),
            DrainApiJsonContext.Default.DestinationDrainResult);
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Destination {Cluster}/{Destination} drained by the operator (changed: {Changed}); {Closed} session(s) closed")]
    private static partial void LogDrained(ILogger logger, string cluster, string destination, bool changed, int closed);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "Destination {Cluster}/{Destination} back in rotation by the operator (changed: {Changed})")]
    private static partial void LogReady(ILogger logger, string cluster, string destination, bool changed);
}

/// <summary>The answer of the drain and ready calls.</summary>
public sealed record DestinationDrainResult(string Cluster, string Destination, bool HeldByOperator, bool Changed, int ActiveSessions, int ClosedSessions);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DestinationDrainResult))]
internal sealed partial class DrainApiJsonContext : JsonSerializerContext;
