using Microsoft.Extensions.Options;
using StratumPool.Chain;
using StratumPool.Stratum;

namespace StratumPool.Hosting;

/// <summary>Checks the whole <c>Pool</c> section at start-up and reports every error by its key.</summary>
public sealed class PoolOptionsValidator : IValidateOptions<PoolOptions>
{
    public ValidateOptionsResult Validate(string? name, PoolOptions options)
    {
        var errors = Collect(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every problem found, each naming its configuration key.</summary>
    public static List<string> Collect(PoolOptions options)
    {
        var errors = CollectChain(options);

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

    /// <summary>The chain side: network, daemons, payout address, devnet, refresh and job settings.</summary>
    public static List<string> CollectChain(PoolOptions options)
    {
        var errors = new List<string>();
        if (options.ExtraNonce2Size is not (4 or 8))
        {
            errors.Add($"Pool:ExtraNonce2Size must be 4 or 8 (was {options.ExtraNonce2Size}).");
        }

        if (options.BlockRefreshInterval <= TimeSpan.Zero)
        {
            errors.Add("Pool:BlockRefreshInterval must be positive.");
        }

        if (options.JobRebroadcastTimeout <= TimeSpan.Zero)
        {
            errors.Add("Pool:JobRebroadcastTimeout must be positive.");
        }

        if (options.MaxRecentJobs < 1)
        {
            errors.Add("Pool:MaxRecentJobs must be at least 1.");
        }

        if (options.Network == ChainNetwork.Devnet)
        {
            if (!(options.Devnet.Difficulty > 0) || double.IsInfinity(options.Devnet.Difficulty))
            {
                errors.Add("Pool:Devnet:Difficulty must be a positive number.");
            }
        }
        else
        {
            if (options.Daemons.Length == 0)
            {
                errors.Add($"Pool:Daemons needs at least one daemon for network {options.Network}.");
            }

            // In Solo mode too: the coinbase of a session without a valid address of its own pays the pool.
            if (string.IsNullOrWhiteSpace(options.Address))
            {
                errors.Add($"Pool:Address is required on {options.Network}.");
            }

            for (var i = 0; i < options.Daemons.Length; i++)
            {
                if (!Uri.TryCreate(options.Daemons[i].Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    errors.Add($"Pool:Daemons:{i}:Url must be an absolute http(s) URL.");
                }
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Address))
        {
            try
            {
                ChainNetworkParameters.For(options.Network).ParsePayout(options.Address);
            }
            catch (FormatException ex)
            {
                errors.Add($"Pool:Address: {ex.Message}");
            }
        }

        return errors;
    }
}
