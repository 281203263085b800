using StratumProxy.Stratum;

namespace StratumProxy.Tests.Stratum;

public sealed class PendingRequestsTests
{
    [Fact]
    public void Answers_with_a_shared_id_are_matched_oldest_first()
    {
        var pending = new PendingRequests();
        pending.Add(4, StratumMethod.Submit);
        pending.Add(2, StratumMethod.Authorize);
        pending.Add(4, StratumMethod.Submit);
        Assert.Equal(StratumMethod.Authorize, pending.Match(2));
        Assert.Equal(2, pending.CountOf(StratumMethod.Submit));
        Assert.Equal(StratumMethod.Submit, pending.Match(4));
        Assert.Equal(StratumMethod.Submit, pending.Match(4));
        Assert.Equal(StratumMethod.None, pending.Match(4));
        Assert.Equal(0, pending.Count);
    }

    [Fact]
    public void A_full_queue_drops_the_oldest()
    {
        var pending = new PendingRequests(capacity: 2);
        Assert.Equal(StratumMethod.None, pending.Add(1, StratumMethod.Subscribe));
        Assert.Equal(StratumMethod.None, pending.Add(2, StratumMethod.Submit));
        Assert.Equal(StratumMethod.Subscribe, pending.Add(3, StratumMethod.Submit));
        Assert.Equal(StratumMethod.None, pending.Match(1));
        Assert.Equal(StratumMethod.Submit, pending.Match(3));
        Assert.Equal(StratumMethod.Submit, pending.Match(2));
    }
}
