using System.Net;

namespace StratumProxy.Filtering;

public sealed partial class MaxMindCountryLookup
{
    [LoggerMessage(EventId = 4020, Level = LogLevel.Information, Message = "Country database {Path} opened ({DatabaseType}, built {BuildDate:u})")]
    private partial void LogOpened(string path, string databaseType, DateTime buildDate);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Information, Message = "Country database {Path} reloaded (built {BuildDate:u})")]
    private partial void LogReloaded(string path, DateTime buildDate);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Error, Message = "Country database {Path} changed but cannot be read ({Problem}); the previous data stays in use")]
    private partial void LogReloadFailed(string path, string problem);

    [LoggerMessage(EventId = 4023, Level = LogLevel.Warning, Message = "Country lookup of {Address} in {Path} failed")]
    private partial void LogLookupFailed(IPAddress address, string path, Exception exception);
}
