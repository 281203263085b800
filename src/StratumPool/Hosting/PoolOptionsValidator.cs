using Microsoft.Extensions.Options;
using StratumPool.Chain;
using StratumPool.Stratum;

namespace StratumPool.Hosting;

/// <summary>Checks the whole <c>Pool</c> section at start-up and reports every error by its key.</summary>
/// <remarks>Keys the chain side owns (network, daemons, address, devnet, refresh, extranonce2 size) are checked by
/// <see cref="ChainOptions.Validate"/> over the same section, so each error is reported once.</remarks>
public sealed class PoolOptionsValidator(IConfiguration configuration) : IValidateOptions<PoolOptions>
{
    public ValidateOptionsResult Validate(string? name, PoolOptions options)
    {
        var chain = configuration.GetSection(PoolOptions.SectionName).Get<ChainOptions>() ?? new ChainOptions();
        var errors = Collect(options, chain);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every problem found, each naming its configuration key.</summary>
    public static List<string> Collect(PoolOptions options, ChainOptions? chain = null)
    {
        var errors = new List<string>();
        if (chain is not null)
        {
            errors.AddRange(chain.Validate());
        }

        const string P = PoolOptions.SectionName;

        if (!NetworkEndpoint.TryParse(options.Endpoint, out _))
        {
            errors.Add($"{P}:Endpoint must be host:port (got '{options.Endpoint}')");
        }

        if (!options.Coin.Equals("Bitcoin", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{P}:Coin must be Bitcoin (got '{options.Coin}')");
        }

        if (!Enum.IsDefined(options.Network))
        {
            errors.Add($"{P}:Network must be Mainnet, Testnet, Signet, Regtest or Devnet");
        }

        if (!Enum.IsDefined(options.PaymentMode))
        {
            errors.Add($"{P}:PaymentMode must be Pool or Solo");
        }

        ValidateDifficulty(options, errors);

        if (string.IsNullOrWhiteSpace(options.Storage.ConnectionString))
        {
            errors.Add($"{P}:Storage:ConnectionString must be set");
        }

        if (options.Storage.MaxBatchSize < 1)
        {
            errors.Add($"{P}:Storage:MaxBatchSize must be >= 1");
        }

        if (!string.IsNullOrWhiteSpace(options.Api.Endpoint) && !NetworkEndpoint.TryParse(options.Api.Endpoint, out _))
        {
            errors.Add($"{P}:Api:Endpoint must be host:port (got '{options.Api.Endpoint}')");
        }

        for (var i = 0; i < options.TrustedProxies.Count; i++)
        {
            if (!TrustedProxyList.TryParseEntry(options.TrustedProxies[i], out _))
            {
                errors.Add($"{P}:TrustedProxies:{i} must be an IP address or CIDR (got '{options.TrustedProxies[i]}')");
            }
        }

        if (!(options.MinSuggestedDifficulty > 0))
        {
            errors.Add($"{P}:MinSuggestedDifficulty must be > 0");
        }

        if (options.KeepaliveInterval <= TimeSpan.Zero || options.KeepaliveInterval >= TimeSpan.FromSeconds(120))
        {
            errors.Add($"{P}:KeepaliveInterval must be > 0 and < 00:02:00 (miners drop a connection silent for 120 s)");
        }

        if (options.PreviousDifficultyGrace < TimeSpan.Zero)
        {
            errors.Add($"{P}:PreviousDifficultyGrace must be >= 0");
        }

        if (options.MaxLineBytes < 1024)
        {
            errors.Add($"{P}:MaxLineBytes must be >= 1024");
        }

        if (options.HandshakeTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{P}:HandshakeTimeout must be > 0");
        }

        if (options.BlockConfirmations < 1)
        {
            errors.Add($"{P}:BlockConfirmations must be >= 1");
        }

        if (options.BlockConfirmationInterval <= TimeSpan.Zero)
        {
            errors.Add($"{P}:BlockConfirmationInterval must be > 0");
        }

        if (options.HashrateWindow <= TimeSpan.Zero)
        {
            errors.Add($"{P}:HashrateWindow must be > 0");
        }

        return errors;
    }

    private static void ValidateDifficulty(PoolOptions options, List<string> errors)
    {
        const string D = PoolOptions.SectionName + ":Difficulty";
        if (!(options.Difficulty.Initial > 0))
        {
            errors.Add($"{D}:Initial must be > 0");
        }

        // A share at or above the devnet's block difficulty is always a block: the devnet must stay harder.
        if (options.Network == ChainNetwork.Devnet)
        {
            var block = options.Devnet.Difficulty;
            if (options.Difficulty.Initial >= block)
            {
                errors.Add($"{D}:Initial must be below Pool:Devnet:Difficulty ({block}), or every share is a block");
            }

            if (options.Difficulty.VarDiff is { } devnetVarDiff && devnetVarDiff.MinDiff >= block)
            {
                errors.Add($"{D}:VarDiff:MinDiff must be below Pool:Devnet:Difficulty ({block}), or every share is a block");
            }
        }

        var varDiff = options.Difficulty.VarDiff;
        if (varDiff is null)
        {
            return;
        }

        if (!(varDiff.MinDiff > 0))
        {
            errors.Add($"{D}:VarDiff:MinDiff must be > 0");
        }

        if (!(varDiff.MaxDiff >= varDiff.MinDiff))
        {
            errors.Add($"{D}:VarDiff:MaxDiff must be >= MinDiff");
        }

        if (!(varDiff.TargetTime > 0))
        {
            errors.Add($"{D}:VarDiff:TargetTime must be > 0");
        }

        if (!(varDiff.RetargetTime > 0))
        {
            errors.Add($"{D}:VarDiff:RetargetTime must be > 0");
        }

        if (!(varDiff.VariancePercent is > 0 and < 100))
        {
            errors.Add($"{D}:VarDiff:VariancePercent must be between 0 and 100 (exclusive)");
        }
    }
}
