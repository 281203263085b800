using StratumProxy.Management;
using StratumProxy.Stratum;

namespace StratumProxy.Filtering;

/// <summary>Feeds the sessions' answered shares and malformed lines to the <see cref="BanPolicy"/>; closes a session whose address it bans.</summary>
public sealed class BanShareObserver(BanPolicy bans) : IShareObserver
{
    public void OnShare(ProxySession session, bool accepted)
    {
        if (bans.RecordShare(session.ClientEndPoint.Address, accepted))
        {
            session.Abort(CloseReasons.Banned);
        }
    }

    public void OnMalformedLine(ProxySession session)
    {
        // The session is being closed for the line already; only the count matters here.
        bans.RecordMalformedLine(session.ClientEndPoint.Address);
    }
}
