using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// Answers every failure of an API request as a problem with a stable code: the SDK's errors by their names, the
/// API's own refusals, 503 when the cluster cannot serve now (retry), 500 otherwise (logged, details withheld).
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (problem, detail) = exception switch
        {
            ApiProblemException e => (e.Problem, e.Message),
            SnapshotRequestException e => (ProblemCode.For(e.Error), e.Message),
            SnapshotServiceException e => (ProblemCode.For(e.Error), e.Message),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (ProblemCode.BodyTooLarge, $"The request body is larger than {RequestBodies.MaxBytes} bytes (1 MiB), the most the API takes."),
            SiloUnavailableException or OrleansMessageRejectionException or TimeoutException =>
                (ProblemCode.Unavailable, "The cluster cannot serve this request now (a silo is starting, stopping or unreachable): retry in a few seconds."),
            _ => (ProblemCode.InternalError, $"The service failed ({exception.GetType().Name}); the silo's log has the details. Retrying may help if the cause was passing."),
        };
        if (problem.Status >= StatusCodes.Status500InternalServerError)
        {
            LogFailed(httpContext.Request.Method, httpContext.Request.Path, problem.Code, exception);
        }
        if (problem.Status == StatusCodes.Status413PayloadTooLarge)
        {
            // The rest of the body is never read: the connection cannot carry another request.
            httpContext.Response.Headers.Connection = "close";
        }
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "2";
        }
        return await problems.TryWriteAsync(ProblemWriter.Context(httpContext, problem, detail, exception));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "HTTP {Method} {Path} failed ({Code})")]
    private partial void LogFailed(string method, PathString path, string code, Exception exception);
}
