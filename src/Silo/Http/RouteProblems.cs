using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Http;

/// <summary>Gives the problems ASP.NET Core writes by itself (no such route, method not allowed) the API's codes.</summary>
internal static class RouteProblems
{
    public static void Customize(ProblemDetailsContext context)
    {
        var details = context.ProblemDetails;
        if (details.Extensions.ContainsKey(ProblemWriter.CodeExtension))
        {
            return;
        }
        var request = context.HttpContext.Request;
        var problem = details.Status switch
        {
            StatusCodes.Status404NotFound => ProblemCode.NoSuchRoute,
            StatusCodes.Status405MethodNotAllowed => ProblemCode.MethodNotAllowed,
            StatusCodes.Status413PayloadTooLarge => ProblemCode.BodyTooLarge,
            StatusCodes.Status415UnsupportedMediaType => ProblemCode.UnsupportedMediaType,
            StatusCodes.Status503ServiceUnavailable => ProblemCode.Unavailable,
            _ => ProblemCode.InternalError,
        };
        details.Title = problem.Title;
        details.Detail ??= problem.Code switch
        {
            "methodNotAllowed" => $"{request.Method} is not a method of '{request.Path}': the operations are listed in /openapi/v1.json.",
            "noSuchRoute" => $"No operation has the path '{request.Path}': the operations are listed in /openapi/v1.json.",
            "unsupportedMediaType" => $"The body is sent as '{request.ContentType}': send it as JSON with 'Content-Type: application/json' (curl --json).",
            _ => problem.Title + ".",
        };
        details.Extensions[ProblemWriter.CodeExtension] = problem.Code;
    }
}
