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
        // The handler runs with the request's route values cleared; the feature keeps those the failed request had.
        var session = httpContext.Features.Get<IExceptionHandlerFeature>()?.RouteValues?["session"] as string;
        var (problem, detail, fact) = ExceptionProblems.Of(exception, error => ApiAdvice.For(error, session));
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
        return await problems.TryWriteAsync(ProblemWriter.Context(httpContext, problem, detail, exception, fact));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "HTTP {Method} {Path} failed ({Code})")]
    private partial void LogFailed(string method, PathString path, string code, Exception exception);
}
