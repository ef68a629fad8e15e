using System.Reflection;
using AgentSnapshots.Engine;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// Refuses query parameters an operation does not take, and parameters given twice: a misspelt <c>?too=</c> would
/// otherwise be ignored and the operation run on other input than the caller meant. An operation's parameters are
/// its handler's <c>[FromQuery]</c> arguments.
/// </summary>
internal static class QueryParameterFilter
{
    public static EndpointFilterDelegate Create(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var taken = context.MethodInfo.GetParameters()
            .Select(p => p.GetCustomAttribute<FromQueryAttribute>() is { } q ? q.Name ?? p.Name : null)
            .OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        return invocation =>
        {
            foreach (var (name, values) in invocation.HttpContext.Request.Query)
            {
                if (!taken.Contains(name))
                {
                    var takes = taken.Count == 0 ? "it takes none" : $"it takes {string.Join(", ", taken.Order(StringComparer.Ordinal).Select(t => $"'{t}'"))}";
                    throw new ApiProblemException(ProblemCode.UnknownParameter,
                        $"Query parameter '{MessageText.Shown(name)}' is not a parameter of this operation: {takes}.");
                }
                if (values.Count > 1)
                {
                    throw new ApiProblemException(ProblemCode.InvalidParameter, $"Query parameter '{MessageText.Shown(name)}' is given {values.Count} times: give it once.");
                }
            }
            return next(invocation);
        };
    }
}
