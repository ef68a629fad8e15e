using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Silo;

internal static partial class SiloLog
{
    [LoggerMessage(Level = LogLevel.Critical, Message = "Invalid settings, the silo did not start: {Failures}")]
    public static partial void InvalidSettings(ILogger logger, IEnumerable<string> failures);
}
