using AgentSnapshots.Silo.Http;
using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Ui;

/// <summary>
/// A failure as a page shows it: the status, title and detail the same /v1 request would answer with (the API's
/// <see cref="ProblemCode"/>s), so the UI and the API refuse alike. Unexpected failures say only that the service failed.
/// </summary>
public sealed record UiProblem(int Status, string Title, string Detail)
{
    internal static UiProblem? From(Exception exception) => exception switch
    {
        ApiProblemException e => Of(e.Problem, e.Message),
        SnapshotRequestException e => Of(ProblemCode.For(e.Error), Advice(e.Error) is { } advice ? $"{e.Message} {advice}" : e.Message),
        SnapshotServiceException e => Of(ProblemCode.For(e.Error), e.Message),
        SiloUnavailableException or OrleansMessageRejectionException or TimeoutException =>
            Of(ProblemCode.Unavailable, "The cluster cannot serve this request now (a silo is starting, stopping or unreachable): reload in a few seconds."),
        _ => null,
    };

    /// <summary>The page of a session the caller has no snapshots of: theirs never tracked, or another tenant's (not told apart).</summary>
    public static UiProblem NoSuchSession(string session) =>
        new(StatusCodes.Status404NotFound, "No such session", $"You have no session named '{MessageText.Shown(session)}' with snapshots. The sessions page lists yours.");

    private static UiProblem Of(ProblemCode problem, string detail) => new(problem.Status, problem.Title, detail);

    /// <summary>What a page tells its reader after a refusal, by its code, in terms of the UI's pages (the grains state only what was wrong).</summary>
    private static string? Advice(RequestError error) => error switch
    {
        RequestError.UnknownSession => "The sessions page lists yours; a session appears once it has a snapshot.",
        RequestError.UnknownSnapshot => "The session's timeline lists the snapshots it keeps.",
        _ => null,
    };
}
