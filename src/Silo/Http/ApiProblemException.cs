namespace AgentSnapshots.Silo.Http;

/// <summary>
/// A request the API refuses before it reaches a session (malformed body, unknown parameter, a tenant's roots):
/// answered as a problem with <see cref="Problem"/>'s status and code, and <see cref="Exception.Message"/> as its detail.
/// </summary>
public sealed class ApiProblemException(ProblemCode problem, string detail) : Exception(detail)
{
    public ProblemCode Problem { get; } = problem;
}
