using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace AgentSnapshots.Silo.Http;

/// <summary>Builds the API's problem replies: status, title, detail and the stable <c>code</c>.</summary>
internal static class ProblemWriter
{
    public const string CodeExtension = "code";

    public static ProblemDetails Details(ProblemCode problem, string detail)
    {
        var details = new ProblemDetails { Status = problem.Status, Title = problem.Title, Detail = detail };
        details.Extensions[CodeExtension] = problem.Code;
        return details;
    }

    public static ProblemDetailsContext Context(HttpContext http, ProblemCode problem, string detail, Exception? exception = null)
    {
        http.Response.StatusCode = problem.Status;
        return new ProblemDetailsContext { HttpContext = http, ProblemDetails = Details(problem, detail), Exception = exception };
    }
}
