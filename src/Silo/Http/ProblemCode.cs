using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// A stable, camelCase error code of the HTTP API with its status, title and an example detail (for the OpenAPI
/// document). The SDK's errors keep their names (<see cref="RequestError"/>, <see cref="ServiceError"/> in camelCase);
/// the others are the API's own.
/// </summary>
public sealed record ProblemCode(string Code, int Status, string Title, string Example)
{
    public static readonly ProblemCode MalformedBody = new("malformedBody", StatusCodes.Status400BadRequest, "The request body is not a JSON object",
        "The request body is not valid JSON at line 1, byte 9 ('}' is invalid after a property name): send one JSON object, e.g. {\"dir\": \"/home/me/project\"}.");
    public static readonly ProblemCode InvalidField = new("invalidField", StatusCodes.Status400BadRequest, "A field of the request body is missing, unknown or of the wrong type",
        "Field 'files' must be a non-empty array of paths relative to the workspace, not a string; to restore every file, use restore.");
    public static readonly ProblemCode UnknownParameter = new("unknownParameter", StatusCodes.Status400BadRequest, "The query has a parameter this operation does not take",
        "Query parameter 'too' is not a parameter of this operation: it takes 'from', 'to'.");
    public static readonly ProblemCode InvalidParameter = new("invalidParameter", StatusCodes.Status400BadRequest, "A query parameter is missing or given more than once",
        "'since' is missing: give a snapshot hash (40 hexadecimal digits, from track or history).");
    public static readonly ProblemCode BodyTooLarge = new("bodyTooLarge", StatusCodes.Status413PayloadTooLarge, "The request body is too large",
        "The request body is 2097152 bytes; the API takes at most 1048576 bytes (1 MiB): send only the operation's fields.");
    public static readonly ProblemCode UnsupportedMediaType = new("unsupportedMediaType", StatusCodes.Status415UnsupportedMediaType, "The request body is not declared as JSON",
        "The body is sent as 'application/x-www-form-urlencoded': send it as JSON with 'Content-Type: application/json' (curl --json).");
    public static readonly ProblemCode HostNotAllowed = new("hostNotAllowed", StatusCodes.Status400BadRequest, "The request's Host is not a name of this service",
        "Host 'attacker.example:5180' is not a name of this service (a web page whose name was rebound to this machine sends its own): use http://127.0.0.1:5180, or add the name to Http:AllowedHosts.");
    public static readonly ProblemCode OriginNotAllowed = new("originNotAllowed", StatusCodes.Status403Forbidden, "The request comes from a web page of another origin",
        "Origin 'http://attacker.example' is not allowed to call this service: a page of another site may not drive it; add the origin to Http:AllowedOrigins if it is yours.");
    public static readonly ProblemCode MissingKey = new("missingKey", StatusCodes.Status401Unauthorized, "An API key is required",
        "This service takes a key: send 'Authorization: Bearer <the local key>' (the silo's log names the file that holds it; default ~/.config/agentsnapshots/local.key).");
    public static readonly ProblemCode UnsupportedScheme = new("unsupportedScheme", StatusCodes.Status401Unauthorized, "The Authorization header is not a Bearer key",
        "The Authorization header is not of the form 'Bearer <key>': send 'Authorization: Bearer <your tenant's key>'.");
    public static readonly ProblemCode InvalidKey = new("invalidKey", StatusCodes.Status401Unauthorized, "The API key is not valid",
        "The key is not the key of any tenant of this service: check the key, or ask the operator whether your tenant is still configured.");
    public static readonly ProblemCode NoSuchRoute = new("noSuchRoute", StatusCodes.Status404NotFound, "No operation has this path",
        "No operation has the path '/v1/session/demo/snapshots': the operations are listed in /openapi/v1.json.");
    public static readonly ProblemCode MethodNotAllowed = new("methodNotAllowed", StatusCodes.Status405MethodNotAllowed, "The path does not take this method",
        "PUT is not a method of '/v1/sessions/demo/snapshots': the operations are listed in /openapi/v1.json.");
    public static readonly ProblemCode Unavailable = new("unavailable", StatusCodes.Status503ServiceUnavailable, "The cluster cannot serve this request now",
        "The cluster cannot serve this request now (a silo is starting, stopping or unreachable): retry in a few seconds.");
    public static readonly ProblemCode InternalError = new("internalError", StatusCodes.Status500InternalServerError, "The service failed",
        "The service failed (IOException); the silo's log has the details. Retrying may help if the cause was passing.");

    /// <summary>Every code the API answers with: the SDK's, then the API's own.</summary>
    public static IReadOnlyList<ProblemCode> All { get; } =
    [
        .. Enum.GetValues<RequestError>().Select(For),
        .. Enum.GetValues<ServiceError>().Select(For),
        MalformedBody, InvalidField, UnknownParameter, InvalidParameter, BodyTooLarge, UnsupportedMediaType, HostNotAllowed, OriginNotAllowed, MissingKey, UnsupportedScheme,
        InvalidKey, NoSuchRoute, MethodNotAllowed, Unavailable, InternalError,
    ];

    /// <summary>The code of a bad-input error of the SDK: its name in camelCase.</summary>
    public static ProblemCode For(RequestError error) => error switch
    {
        RequestError.UnknownSession => new(Name(error), StatusCodes.Status404NotFound, "The session is unknown or has no snapshots",
            "Session 'demo' has no snapshots yet, and diff needs one: run 'track --session demo --dir DIR' first."),
        RequestError.UnknownSnapshot => new(Name(error), StatusCodes.Status404NotFound, "The session has no such snapshot",
            "--from 4b825dc642cb6eb9a060e54bf8d69288fbee4904 is not a snapshot of session 'demo': run 'history --session demo' to list its snapshots."),
        RequestError.WorkspaceMismatch => new(Name(error), StatusCodes.Status409Conflict, "The session is bound to another directory",
            "Session 'demo' is bound to /home/me/project, not /home/me/other: track it without --dir, or use another --session for that directory."),
        RequestError.OutsideWorkspaceRoots => new(Name(error), StatusCodes.Status403Forbidden, "The directory is outside the allowed workspace roots",
            "Workspace directory '/etc' is outside the workspace roots of tenant 'team-a' (/srv/workspaces/team-a): use a directory under one of them."),
        RequestError.MalformedId => new(Name(error), StatusCodes.Status400BadRequest, "A session name or snapshot hash is not of the accepted form",
            "'from' value 'HEAD~1' is not a snapshot hash: give 40 hexadecimal digits, as track or history print them."),
        RequestError.InvalidPath => new(Name(error), StatusCodes.Status400BadRequest, "A path is not valid here",
            "Field 'files[0]': File '../etc/passwd' is not a valid workspace path: it contains '..'; give a path inside the workspace."),
        RequestError.MissingDirectory => new(Name(error), StatusCodes.Status400BadRequest, "The directory does not exist",
            "Workspace directory '/home/me/projet' does not exist or is not a directory."),
        RequestError.WorkspaceTooBroad => new(Name(error), StatusCodes.Status422UnprocessableEntity, "The directory is too broad to snapshot",
            "Workspace directory '/home/me' is a home directory: snapshotting all of it is rarely meant and stores a copy of everything under it. Track a project directory instead, or set Snapshots:AllowBroadWorkspaces=true to allow it."),
        _ => new(Name(error), StatusCodes.Status400BadRequest, "The request is not valid", "The request is not valid."),
    };

    /// <summary>The code of a service failure of the SDK: its name in camelCase; 503 where a retry can help.</summary>
    public static ProblemCode For(ServiceError error) => error switch
    {
        ServiceError.WorkspaceLocked => new(Name(error), StatusCodes.Status503ServiceUnavailable, "Another silo is writing the workspace; retry shortly",
            "Workspace ws-5d41402abc4b2a76b9719d91 is locked by another silo: retry shortly."),
        ServiceError.WorkspaceOffline => new(Name(error), StatusCodes.Status503ServiceUnavailable, "No workspace agent serves the remote workspace now; retry once one is connected",
            "No agent serves workspace 'sandbox-1' now: start 'agentsnapshots agent --workspace sandbox-1 --dir DIR' beside its files (or let it reconnect), then retry."),
        ServiceError.BackendUnavailable => new(Name(error), StatusCodes.Status503ServiceUnavailable, "The object store cannot be reached; nothing was recorded, retry shortly",
            "The postgres object store failed while the track's pack was stored (connection refused); nothing was recorded: retry shortly."),
        ServiceError.AgentFailed => new(Name(error), StatusCodes.Status502BadGateway, "The workspace agent broke off or sent what the protocol refuses; nothing was recorded",
            "The agent of workspace 'sandbox-1' stopped the track: object 9c1185a5c5e9fc54612808977ee8f548b2258d31 does not match its id; nothing was recorded (retry: what was stored is not sent again)."),
        ServiceError.RestoreFailed => new(Name(error), StatusCodes.Status500InternalServerError, "The restore stopped part way",
            "The restore stopped part way (disk full); restore to safety snapshot 9c1185a5c5e9fc54612808977ee8f548b2258d31 to undo what it wrote."),
        ServiceError.MissingObject => new(Name(error), StatusCodes.Status500InternalServerError, "The workspace's store lacks an object",
            "Object 9c1185a5c5e9fc54612808977ee8f548b2258d31 is missing from the workspace's store."),
        _ => new(Name(error), StatusCodes.Status500InternalServerError, "The workspace's store holds a corrupt object",
            "An object store holds a corrupt object: 9c1185a5c5e9fc54612808977ee8f548b2258d31."),
    };

    private static string Name<T>(T error) where T : struct, Enum => JsonNamingPolicy.CamelCase.ConvertName(error.ToString());
}
