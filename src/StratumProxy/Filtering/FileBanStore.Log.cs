namespace StratumProxy.Filtering;

public sealed partial class FileBanStore
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Loaded {Count} bans in force from {Path}")]
    private partial void LogLoaded(int count, string path);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error,
        Message = "Ban file {Path} is not valid ({Problem}); it was kept as {KeptAs} and the proxy starts with no bans")]
    private partial void LogCorruptFile(string path, string keptAs, string problem);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error, Message = "Could not write ban file {Path}; bans stay in memory")]
    private partial void LogWriteFailed(string path, Exception exception);
}
