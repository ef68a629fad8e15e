using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using AgentSnapshots.Engine;
using AgentSnapshots.Silo.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// The HTTP API (v1): one endpoint per operation of a session, replying with the wire records as the CLI's
/// <c>--json</c> writes them (<see cref="ContractJson.Options"/>). Each call waits for its operation however long it
/// takes, and stops waiting when the client goes away.
/// </summary>
internal static class SessionEndpoints
{
    private const string Session = "The session's name: 1 to 128 characters from letters, digits and . _ : -";

    public static RouteGroupBuilder MapSessionEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1/sessions/{session}")
            .RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName)
            .AddEndpointFilterFactory(QueryParameterFilter.Create)
            .WithTags("sessions");

        v1.MapPost("/snapshots", Track).Documented(ApiExamples.Track);
        v1.MapGet("/snapshots", History).Documented(ApiExamples.History);
        v1.MapGet("/changes", Changes).Documented(ApiExamples.Changes);
        v1.MapGet("/diff", Diff).Documented(ApiExamples.Diff);
        v1.MapPost("/restore", Restore).Documented(ApiExamples.Restore);
        v1.MapPost("/revert", Revert).Documented(ApiExamples.Revert);
        v1.MapGet("/usage", Usage).Documented(ApiExamples.Usage);
        v1.MapPost("/gc", Collect).Documented(ApiExamples.Collect);
        v1.MapDelete("", Delete).Documented(ApiExamples.Delete);
        return v1;
    }

    [EndpointName("track"), EndpointSummary("Snapshot the session's workspace now")]
    [EndpointDescription("The first track binds the session to 'dir'; later ones may omit it. Replies with the tree hash, the number of files and the paths left out (at most Snapshots:MaxListedPaths listed; skippedCount counts them all).")]
    private static async Task<JsonHttpResult<TrackResult>> Track([Description(Session)] string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains, CancellationToken ct)
    {
        var address = SessionAddress.For(http, session, tenants, grains);
        var body = await RequestBodies.TrackAsync(http.Request, ct);
        return Reply(await address.CallAsync((g, c) => body.Workspace is { } workspace ? g.TrackWorkspaceAsync(workspace, body.Label, c) : g.TrackAsync(body.Dir, body.Label, c), ct));
    }

    [EndpointName("history"), EndpointSummary("The session's snapshots, oldest first")]
    [EndpointDescription("Each snapshot with its label, time, counts and 'step': the step's stats against the session's previous snapshot (null until computed, and for the first). An unknown session has no snapshots.")]
    private static async Task<JsonHttpResult<SessionHistory>> History([Description(Session)] string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains, CancellationToken ct)
    {
        var address = SessionAddress.For(http, session, tenants, grains);
        return Reply(await address.CallAsync((g, c) => g.HistoryAsync(c), ct));
    }

    [EndpointName("changes"), EndpointSummary("Paths that differ between a snapshot and the workspace now")]
    [EndpointDescription("In path order, at most Snapshots:MaxListedPaths of them; fileCount counts all, omittedFiles those after the last listed: ask again with 'after' set to the last path listed.")]
    private static async Task<JsonHttpResult<ChangesResult>> Changes(
        [Description(Session)] string session,
        [FromQuery, Required, Description("The snapshot to compare with (40 hexadecimal digits).")] string? since,
        [FromQuery, Description("List only paths after this one (the last path of the previous page).")] string? after,
        HttpContext http, TenantDirectory tenants, IGrainFactory grains, CancellationToken ct)
    {
        var address = SessionAddress.For(http, session, tenants, grains);
        var sinceHash = SessionArguments.Hash(since, "since");
        return Reply(await address.CallAsync((g, c) => g.ChangesAsync(sinceHash, after, c), ct));
    }

    [EndpointName("diff"), EndpointSummary("Size-capped summary between two snapshots")]
    [EndpointDescription("Without 'to', against the workspace now. Per file: status, additions, deletions, exact, binary, sizes and a short patch preview; the summary stays under the configured caps.")]
    private static async Task<JsonHttpResult<DiffSummary>> Diff(
        [Description(Session)] string session,
        [FromQuery, Required, Description("The older snapshot (40 hexadecimal digits).")] string? from,
        [FromQuery, Description("The newer snapshot; omitted: the workspace now.")] string? to,
        HttpContext http, TenantDirectory tenants, IGrainFactory grains, CancellationToken ct)
    {
        var address = SessionAddress.For(http, session, tenants, grains);
        var fromHash = SessionArguments.Hash(from, "from");
        var toHash = SessionArguments.OptionalHash(to, "to");
        return Reply(await address.CallAsync((g, c) => g.DiffAsync(fromHash, toHash, c), ct));
    }

    [EndpointName("restore"), EndpointSummary("Make the workspace match a snapshot")]
    [EndpointDescription("Takes a safety snapshot first ('safety' in the reply: restore to it to undo), then writes changed files and deletes files created since. Ignored and skipped files are never touched.")]
    private static async Task<JsonHttpResult<RestoreResult>> Restore([Description(Session)] string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains, CancellationToken ct)
    {
        var address = SessionAddress.For(http, session, tenants, grains);
        var body = await RequestBodies.RestoreAsync(http.Request, ct);
        var to = SessionArguments.Hash(body.To, "to");
        return Reply(await address.CallAsync((g, c) => g.RestoreAsync(to, c), ct));
    }

    [EndpointName("revert"), EndpointSummary("Restore the listed files only")]
    [EndpointDescription("Like restore for 'files' (a file absent from the snapshot is deleted; a directory reverts what is under it), after a safety snapshot.")]
    private static async Task<JsonHttpResult<RestoreResult>> Revert([Description(Session)] string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains, CancellationToken ct)
    {
        var address = SessionAddress.For(http, session, tenants, grains);
        var body = await RequestBodies.RevertAsync(http.Request, ct);
        var to = SessionArguments.Hash(body.To, "to");
        SessionArguments.CheckRevertFiles(body.Files, "files");
        return Reply(await address.CallAsync((g, c) => g.RevertAsync(to, body.Files, c), ct));
    }

    [EndpointName("usage"), EndpointSummary("Disk used by the session's workspace store")]
    private static async Task<JsonHttpResult<WorkspaceUsage>> Usage([Description(Session)] string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains, CancellationToken ct)
    {
        var address = SessionAddress.For(http, session, tenants, grains);
        return Reply(await address.CallAsync((g, c) => g.UsageAsync(c), ct));
    }

    [EndpointName("gc"), EndpointSummary("Apply retention now and delete what no kept snapshot reaches")]
    private static async Task<JsonHttpResult<CollectionReport>> Collect([Description(Session)] string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains, CancellationToken ct)
    {
        var address = SessionAddress.For(http, session, tenants, grains);
        return Reply(await address.CallAsync((g, c) => g.CollectAsync(c), ct));
    }

    [EndpointName("delete"), EndpointSummary("Delete the session")]
    [EndpointDescription("Its history and binding are cleared; snapshots no other session recorded are freed by the next collection. Deleting an unknown session is not an error.")]
    private static async Task<JsonHttpResult<DeletedSession>> Delete([Description(Session)] string session, HttpContext http, TenantDirectory tenants, IGrainFactory grains, CancellationToken ct)
    {
        var address = SessionAddress.For(http, session, tenants, grains);
        return Reply(await address.CallAsync((g, c) => g.DeleteAsync(c), ct));
    }

    /// <summary>A reply as the CLI's --json writes it.</summary>
    private static JsonHttpResult<T> Reply<T>(T value) => TypedResults.Json(value, ContractJson.Options);
}
