using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// Builds the API's problem replies: status, title, detail and the stable <c>code</c>; and, when the detail adds the
/// API's advice to a refusal, the refusal's <c>fact</c> alone, for clients that word their own advice (the CLI).
/// </summary>
internal static class ProblemWriter
{
    public const string CodeExtension = "code";

    public const string FactExtension = "fact";

    public static ProblemDetails Details(ProblemCode problem, string detail, string? fact = null)
    {
        var details = new ProblemDetails { Status = problem.Status, Title = problem.Title, Detail = detail };
        details.Extensions[CodeExtension] = problem.Code;
        if (fact is not null)
        {
            details.Extensions[FactExtension] = fact;
        }
        return details;
    }

    public static ProblemDetailsContext Context(HttpContext http, ProblemCode problem, string detail, Exception? exception = null, string? fact = null)
    {
        http.Response.StatusCode = problem.Status;
        return new ProblemDetailsContext { HttpContext = http, ProblemDetails = Details(problem, detail, fact), Exception = exception };
    }
}
