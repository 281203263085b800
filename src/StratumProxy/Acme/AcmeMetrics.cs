using Prometheus;

namespace StratumProxy.Acme;

/// <summary>ACME order outcomes.</summary>
public sealed class AcmeMetrics(IMetricFactory factory)
{
    private readonly Counter _orders = factory.CreateCounter(
        "stratum_proxy_acme_orders_total",
        "ACME certificate orders by outcome (success, failure).",
        new CounterConfiguration { LabelNames = ["outcome"] });

    public void OrderSucceeded() => _orders.WithLabels(["success"]).Inc();

    public void OrderFailed() => _orders.WithLabels(["failure"]).Inc();

    public double Orders(string outcome) => _orders.WithLabels([outcome]).Value;
}
