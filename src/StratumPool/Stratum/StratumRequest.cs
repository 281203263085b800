using System.Globalization;
using Stratum.Protocol.JsonRpc;

namespace StratumPool.Stratum;

/// <summary>The methods a miner may call, recognised from their UTF-8 names.</summary>
public enum StratumMethod
{
    Unknown,
    Subscribe,
    Authorize,
    Configure,
    SuggestDifficulty,
    ExtranonceSubscribe,
    Submit,
}

/// <summary>A JSON-RPC id echoed back verbatim: miners use numbers, strings or null, and reuse them.</summary>
public readonly record struct StratumId(StratumIdKind Kind, string? Value)
{
    public static readonly StratumId Null = new(StratumIdKind.Null, null);

    public bool IsNull => Kind == StratumIdKind.Null;
}

public enum StratumIdKind
{
    Null,

    /// <summary>A JSON number kept as its original text.</summary>
    Number,
    String,
}

public enum StratumValueKind
{
    Null,
    String,
    Number,
    Bool,
    Array,
    Object,
}

/// <summary>One JSON value of a request's params (nested at most a few levels).</summary>
public sealed class StratumValue
{
    public static readonly StratumValue NullValue = new(StratumValueKind.Null);

    public StratumValue(StratumValueKind kind) => Kind = kind;

    public StratumValueKind Kind { get; }

    /// <summary>The string's value, or a number's original text.</summary>
    public string? Text { get; init; }

    public double Number { get; init; }

    public bool Bool { get; init; }

    public IReadOnlyList<StratumValue> Items { get; init; } = [];

    public IReadOnlyDictionary<string, StratumValue> Fields { get; init; } = EmptyFields;

    private static readonly Dictionary<string, StratumValue> EmptyFields = new(StringComparer.Ordinal);

    /// <summary>The value as a string (strings only).</summary>
    public string? AsString() => Kind == StratumValueKind.String ? Text : null;

    /// <summary>A number, or a string holding one (cpuminer-opt sends difficulties as strings).</summary>
    public bool TryGetDouble(out double value)
    {
        switch (Kind)
        {
            case StratumValueKind.Number:
                value = Number;
                return double.IsFinite(value);
            case StratumValueKind.String:
                return double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
            default:
                value = 0;
                return false;
        }
    }
}

/// <summary>One parsed request line.</summary>
public sealed class StratumRequest
{
    public required StratumId Id { get; init; }

    public required StratumMethod Method { get; init; }

    /// <summary>The method's name as sent; kept for logs of unknown methods.</summary>
    public required string MethodName { get; init; }

    public required IReadOnlyList<StratumValue> Params { get; init; }

    public StratumValue Param(int index) => index < Params.Count ? Params[index] : StratumValue.NullValue;

    internal static StratumMethod Recognise(ReadOnlySpan<byte> name)
    {
        if (name.SequenceEqual(StratumMethods.Submit))
        {
            return StratumMethod.Submit;
        }

        if (name.SequenceEqual(StratumMethods.Subscribe))
        {
            return StratumMethod.Subscribe;
        }

        if (name.SequenceEqual(StratumMethods.Authorize))
        {
            return StratumMethod.Authorize;
        }

        if (name.SequenceEqual(StratumMethods.Configure))
        {
            return StratumMethod.Configure;
        }

        if (name.SequenceEqual(StratumMethods.SuggestDifficulty))
        {
            return StratumMethod.SuggestDifficulty;
        }

        if (name.SequenceEqual(StratumMethods.ExtranonceSubscribe))
        {
            return StratumMethod.ExtranonceSubscribe;
        }

        return StratumMethod.Unknown;
    }
}
