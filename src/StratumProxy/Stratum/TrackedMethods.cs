using Stratum.Protocol.JsonRpc;

namespace StratumProxy.Stratum;

/// <summary>
/// The methods the proxy tells apart, in the order both line passes compare a method name with them (most frequent
/// first). The order matters beyond speed: a name with a broken escape makes the line malformed only when a
/// comparison gets as far as unescaping it, so both passes must try the same names in the same order.
/// </summary>
internal static class TrackedMethods
{
    public const int Count = 10;

    public static ReadOnlySpan<byte> Name(int index) => index switch
    {
        0 => StratumMethods.Submit,
        1 => StratumMethods.Notify,
        2 => StratumMethods.SetDifficulty,
        3 => StratumMethods.Subscribe,
        4 => StratumMethods.Authorize,
        5 => StratumMethods.Configure,
        6 => StratumMethods.ExtranonceSubscribe,
        7 => StratumMethods.SuggestDifficulty,
        8 => StratumMethods.SetExtranonce,
        _ => StratumMethods.ClientReconnect,
    };

    public static StratumMethod Method(int index) => index switch
    {
        0 => StratumMethod.Submit,
        1 => StratumMethod.Notify,
        2 => StratumMethod.SetDifficulty,
        3 => StratumMethod.Subscribe,
        4 => StratumMethod.Authorize,
        5 => StratumMethod.Configure,
        6 => StratumMethod.ExtranonceSubscribe,
        7 => StratumMethod.SuggestDifficulty,
        8 => StratumMethod.SetExtranonce,
        _ => StratumMethod.Reconnect,
    };
}
