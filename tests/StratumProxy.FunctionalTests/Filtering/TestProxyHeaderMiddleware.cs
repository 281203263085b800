using System.Net;
using Microsoft.AspNetCore.Connections;
using Stratum.Protocol.ProxyProtocol;

namespace StratumProxy.FunctionalTests.Filtering;

/// <summary>
/// Test infrastructure, not the product: lets a test on loopback present a public client address by sending a PROXY
/// protocol header first, so the filters after it see that address. Stands in for the listener's own inbound PROXY
/// middleware until the two are wired together.
/// </summary>
internal static class TestProxyHeaderMiddleware
{
    public static Func<ConnectionDelegate, ConnectionDelegate> Create() => next => async context =>
    {
        var input = context.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(context.ConnectionClosed);
            var buffer = result.Buffer;
            var status = ProxyProtocolReader.TryRead(buffer, out var header, out var consumed);
            if (status == ProxyHeaderStatus.Complete)
            {
                input.AdvanceTo(buffer.GetPosition(consumed));
                if (header.Source is IPEndPoint source)
                {
                    context.RemoteEndPoint = source;
                }

                break;
            }

            if (status == ProxyHeaderStatus.Invalid || result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                context.Abort(new ConnectionAbortedException("Test connections start with a PROXY header."));
                return;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }

        await next(context);
    };
}
