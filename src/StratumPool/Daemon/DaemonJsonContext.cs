using System.Text.Json.Serialization;
using StratumPool.Jobs;

namespace StratumPool.Daemon;

/// <summary>Source-generated JSON metadata for the daemon's RPC results.</summary>
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(BlockTemplate))]
[JsonSerializable(typeof(BlockchainInfo))]
[JsonSerializable(typeof(BlockInfo))]
[JsonSerializable(typeof(AddressValidation))]
[JsonSerializable(typeof(NetworkInfo))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
public sealed partial class DaemonJsonContext : JsonSerializerContext;
