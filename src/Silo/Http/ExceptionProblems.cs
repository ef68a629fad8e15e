using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// The problem an exception of a session operation answers as, wherever the operation was asked for (the HTTP API,
/// the MCP tools): the SDK's errors by their names, the API's own refusals, 503 when the cluster cannot serve now
/// (retry), 500 otherwise (details withheld: the detail names only the exception's type). A refusal's message states
/// only what was wrong; <paramref name="advice"/> is the asking surface's word on what to do, added to the detail.
/// </summary>
internal static class ExceptionProblems
{
    /// <summary>The problem, its detail, and the refusal's message without the advice when advice was added (else null).</summary>
    public static (ProblemCode Problem, string Detail, string? Fact) Of(Exception exception, Func<RequestError, string?> advice) => exception switch
    {
        ApiProblemException e => (e.Problem, e.Message, null),
        SnapshotRequestException e when advice(e.Error) is { } said => (ProblemCode.For(e.Error), $"{e.Message} {said}", e.Message),
        SnapshotRequestException e => (ProblemCode.For(e.Error), e.Message, null),
        SnapshotServiceException e => (ProblemCode.For(e.Error), e.Message, null),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (ProblemCode.BodyTooLarge, $"The request body is larger than {RequestBodies.MaxBytes} bytes (1 MiB), the most the API takes.", null),
        SiloUnavailableException or OrleansMessageRejectionException or TimeoutException =>
            (ProblemCode.Unavailable, "The cluster cannot serve this request now (a silo is starting, stopping or unreachable): retry in a few seconds.", null),
        _ => (ProblemCode.InternalError, $"The service failed ({exception.GetType().Name}); the silo's log has the details. Retrying may help if the cause was passing.", null),
    };
}
