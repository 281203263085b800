using Microsoft.Extensions.Options;
using StratumPool.Hosting;

// Standalone pool: `dotnet run --project src/StratumPool [--config PATH]`. Without --config the `appsettings.json`
// of the working directory is read, else the one at the repository root.
var configPath = ConfigFileLocator.Locate(args);
var configuration = new ConfigurationBuilder()
    .AddJsonFile(configPath, optional: false, reloadOnChange: false)
    .AddEnvironmentVariables()
    .AddCommandLine(ConfigFileLocator.WithoutConfigSwitch(args))
    .Build();

try
{
    var app = PoolApplication.Build(configuration);
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException exception)
{
    foreach (var failure in exception.Failures)
    {
        Console.Error.WriteLine(failure);
    }

    return 2;
}
