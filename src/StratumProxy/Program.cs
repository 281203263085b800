using StratumProxy.Configuration;
using StratumProxy.Hosting;

try
{
    var app = ProxyHost.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ProxyConfigurationException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 2;
}
