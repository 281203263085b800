namespace StratumProxy.Configuration;

/// <summary>Binds and validates the <c>Proxy</c> section; every problem is reported with its key.</summary>
public static class ProxyOptionsLoader
{
    /// <summary>Binds <c>Proxy</c> from <paramref name="configuration"/> and validates it, or throws <see cref="ProxyConfigurationException"/>.</summary>
    public static ProxyOptions Load(IConfiguration configuration)
    {
        var section = configuration.GetSection(ProxyOptions.SectionName);
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
        if (errors.Count > 0)
        {
            throw new ProxyConfigurationException(errors);
        }

        return options;
    }
}
