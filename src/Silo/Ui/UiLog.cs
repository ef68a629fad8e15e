using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Silo.Ui;

internal static partial class UiLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Web UI page {Path} failed")]
    public static partial void PageFailed(ILogger logger, PathString path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a web UI {Method} of {Path} without its own Origin (a form of another page, or a client that is not a browser)")]
    public static partial void RefusedCrossOrigin(ILogger logger, string method, PathString path);
}
