namespace StratumProxy.Configuration;

/// <summary>Binds and validates the <c>Proxy</c> section; every problem is reported with its key.</summary>
public static class ProxyOptionsLoader
{
    /// <summary>Binds <c>Proxy</c> from <paramref name="configuration"/> and validates it, or throws <see cref="ProxyConfigurationException"/>.</summary>
    public static ProxyOptions Load(IConfiguration configuration)
    {
        var section = WithoutHttpRoutes(configuration).GetSection(ProxyOptions.SectionName);
        ProxyOptions options;
        try
        {
            options = section.Get<ProxyOptions>(binder => binder.ErrorOnUnknownConfiguration = true) ?? new ProxyOptions();
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key ("Failed to convert configuration value at 'Proxy:Limits:IdleTimeout'...",
            // "'Foo' was not found on type ..."); pass its words on with those of the inner conversion error.
            var message = ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}";
            throw new ProxyConfigurationException([message]);
        }

        var errors = ProxyOptionsValidator.Validate(options);
        if (configuration.GetSection(HttpSectionName).Exists() && !EndpointParser.TryParse(configuration[HttpSectionName + ":Endpoint"] ?? options.Acme?.HttpChallengeEndpoint ?? "0.0.0.0:80", out _))
        {
            errors = [.. errors, $"{HttpSectionName}:Endpoint: '{configuration[HttpSectionName + ":Endpoint"]}' is not a valid endpoint (host:port)."];
        }

        if (errors.Count > 0)
        {
            throw new ProxyConfigurationException(errors);
        }

        return options;
    }

    /// <summary><c>Proxy:Http</c> holds YARP routes and clusters in YARP's own shape; YARP reads and checks it itself.</summary>
    public const string HttpSectionName = ProxyOptions.SectionName + ":Http";

    private static IConfiguration WithoutHttpRoutes(IConfiguration configuration)
    {
        if (!configuration.GetSection(HttpSectionName).Exists())
        {
            return configuration;
        }

        var prefix = HttpSectionName + ":";
        var values = configuration.AsEnumerable()
            .Where(kv => kv.Value is not null
                && !kv.Key.Equals(HttpSectionName, StringComparison.OrdinalIgnoreCase)
                && !kv.Key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }
}
