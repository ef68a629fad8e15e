using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// The problem an exception of a session operation answers as, wherever the operation was asked for (the HTTP API,
/// the MCP tools): the SDK's errors by their names, the API's own refusals, 503 when the cluster cannot serve now
/// (retry), 500 otherwise (details withheld: the detail names only the exception's type).
/// </summary>
internal static class ExceptionProblems
{
    public static (ProblemCode Problem, string Detail) Of(Exception exception) => exception switch
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
}
