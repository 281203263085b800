using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace StratumProxy.Tests.Samples;

/// <summary>
/// Runs the pool engine's own validation of the <c>Pool</c> section (<c>PoolOptionsValidator.Collect</c>), found by
/// name because the pool engine is built in parallel with the samples; where it is not compiled in, the tests that
/// need it are skipped with that reason.
/// </summary>
internal static class PoolSectionValidation
{
    private static readonly Type? OptionsType = Type.GetType("StratumPool.PoolOptions, StratumPool");

    private static readonly Type? ChainOptionsType = Type.GetType("StratumPool.Chain.ChainOptions, StratumPool");

    private static readonly MethodInfo? Collect = Type.GetType("StratumPool.Hosting.PoolOptionsValidator, StratumPool")
        ?.GetMethod("Collect", BindingFlags.Public | BindingFlags.Static);

    public static string? MissingReason =>
        OptionsType is null || ChainOptionsType is null || Collect is null
            ? "The pool engine's PoolOptionsValidator is not in this build."
            : null;

    /// <summary>Every error the pool engine reports for the <c>Pool</c> section of <paramref name="configuration"/>.</summary>
    public static IReadOnlyList<string> Validate(IConfiguration configuration)
    {
        var section = configuration.GetSection("Pool");
        object options;
        try
        {
            options = section.Get(OptionsType!, binder => binder.ErrorOnUnknownConfiguration = true) ?? Activator.CreateInstance(OptionsType!)!;
        }
        catch (InvalidOperationException ex)
        {
            return [ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}"];
        }

        var chain = section.Get(ChainOptionsType!) ?? Activator.CreateInstance(ChainOptionsType!);
        var errors = (IEnumerable<string>)Collect!.Invoke(null, [options, chain])!;
        return errors.ToList();
    }
}

/// <summary>A theory that needs the pool engine's validator.</summary>
public sealed class PoolValidatorTheoryAttribute : TheoryAttribute
{
    public PoolValidatorTheoryAttribute()
    {
        if (PoolSectionValidation.MissingReason is { } reason)
        {
            Skip = reason;
        }
    }
}
