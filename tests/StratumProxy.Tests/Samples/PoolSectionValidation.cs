using Microsoft.Extensions.Configuration;
using StratumPool;
using StratumPool.Hosting;

namespace StratumProxy.Tests.Samples;

/// <summary>Runs the pool engine's own validation of the <c>Pool</c> section, as its host does at start-up.</summary>
internal static class PoolSectionValidation
{
    /// <summary>Every error the pool engine reports for the <c>Pool</c> section of <paramref name="configuration"/>.</summary>
    public static IReadOnlyList<string> Validate(IConfiguration configuration)
    {
        PoolOptions options;
        try
        {
            options = configuration.GetSection(PoolOptions.SectionName).Get<PoolOptions>(binder => binder.ErrorOnUnknownConfiguration = true) ?? new PoolOptions();
        }
        catch (InvalidOperationException ex)
        {
            return [ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}"];
        }

        return PoolOptionsValidator.Collect(options);
    }
}
