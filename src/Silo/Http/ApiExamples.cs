namespace AgentSnapshots.Silo.Http;

/// <summary>
/// What the OpenAPI document shows for each operation: an example request body, an example reply (real wire
/// records, serialized as the replies are) and the problems the operation can answer with.
/// </summary>
internal static class ApiExamples
{
    private const string First = "1f7a7a472abf3dd9643fd615f6da379c4acb3e3a";
    private const string Second = "4b3c2dd4ab2c0e9f8b1d5e3f0d4e3f2a1b0c9d8e";
    private const string Safety = "9c1185a5c5e9fc54612808977ee8f548b2258d31";
    private const string Workspace = "ws-5d41402abc4b2a76b9719d91";
    private const string Directory = "/home/me/project";
    private static readonly DateTimeOffset Time = new(2026, 11, 23, 9, 30, 0, TimeSpan.Zero);

    public static OperationExamples Track { get; } = new(
        new TrackRequest(Directory, "before turn 3"),
        new TrackResult(Second, 118, [new SkippedFile("data/model.bin", SkipReason.TooLarge)], 1, 0),
        [RequestError.MissingDirectory, RequestError.InvalidPath, RequestError.OutsideWorkspaceRoots, RequestError.WorkspaceMismatch, RequestError.WorkspaceTooBroad, RequestError.UnknownSession],
        [ServiceError.WorkspaceLocked, ServiceError.WorkspaceOffline, ServiceError.AgentFailed, ServiceError.BackendUnavailable],
        Body: true);

    public static OperationExamples History { get; } = new(
        null,
        new SessionHistory("demo", Directory,
        [
            new SnapshotInfo(First, "before turn 2", Time, 117, 1, null),
            new SnapshotInfo(Second, "before turn 3", Time.AddMinutes(4), 118, 1, new StepStats(3, 42, 7, true)),
        ]),
        [], []);

    public static OperationExamples Changes { get; } = new(
        null,
        new ChangesResult(First, ["README.md", "src/main.ts"], 2, 0),
        [RequestError.UnknownSession, RequestError.UnknownSnapshot],
        [ServiceError.MissingObject, ServiceError.CorruptObject, ServiceError.WorkspaceOffline, ServiceError.AgentFailed, ServiceError.BackendUnavailable],
        Query: true);

    public static OperationExamples Diff { get; } = new(
        null,
        new DiffSummary(First, Second, 1, 0, 1, 1,
            [new FileDiff("src/main.ts", FileStatus.Modified, 1, 1, true, false, 7, 7, "@@ -1 +1 @@\n-turn 1\n+turn 2\n", false)]),
        [RequestError.UnknownSession, RequestError.UnknownSnapshot],
        [ServiceError.MissingObject, ServiceError.CorruptObject, ServiceError.WorkspaceLocked, ServiceError.BackendUnavailable],
        Query: true);

    public static OperationExamples Restore { get; } = new(
        new RestoreRequest(First),
        new RestoreResult(First, Safety, ["src/main.ts"], ["notes.tmp"], 1, 1, 0, 0),
        [RequestError.UnknownSession, RequestError.UnknownSnapshot, RequestError.OutsideWorkspaceRoots],
        [ServiceError.RestoreFailed, ServiceError.MissingObject, ServiceError.CorruptObject, ServiceError.WorkspaceLocked, ServiceError.WorkspaceOffline, ServiceError.AgentFailed, ServiceError.BackendUnavailable],
        Body: true);

    public static OperationExamples Revert { get; } = new(
        new RevertRequest(First, ["src/main.ts"]),
        new RestoreResult(First, Safety, ["src/main.ts"], [], 1, 0, 0, 0),
        [RequestError.UnknownSession, RequestError.UnknownSnapshot, RequestError.InvalidPath, RequestError.OutsideWorkspaceRoots],
        [ServiceError.RestoreFailed, ServiceError.MissingObject, ServiceError.CorruptObject, ServiceError.WorkspaceLocked, ServiceError.WorkspaceOffline, ServiceError.AgentFailed, ServiceError.BackendUnavailable],
        Body: true);

    public static OperationExamples Usage { get; } = new(
        null, new WorkspaceUsage(Workspace, Directory, 1342, 5_518_336, 12, 2), [RequestError.UnknownSession], []);

    public static OperationExamples Collect { get; } = new(
        null, new CollectionReport(Workspace, 3, 210, 1_048_576, new StoreSize(1132, 4_469_760)), [RequestError.UnknownSession], [ServiceError.WorkspaceLocked, ServiceError.BackendUnavailable]);

    public static OperationExamples Delete { get; } = new(
        null, new DeletedSession("demo", Workspace, Directory, 12), [], []);

    public static OperationExamples LoginLink { get; } = new(
        new LoginLinkRequest("/ui/sessions/demo"),
        new LoginLink("/ui/login?token=q3Vb0mJm1tKk8yTn2wq0b4nH8Yp5qvXo7gE1sPz9cLw&next=%2Fui%2Fsessions%2Fdemo", Time),
        [], [], Body: true, Session: false);
}

/// <summary>
/// One operation's examples and the errors it can answer with beyond those every operation can (malformed session
/// name for a session's operations, unknown query parameter, missing or wrong key, cluster unavailable, internal failure).
/// </summary>
internal sealed record OperationExamples(
    object? Request,
    object Reply,
    IReadOnlyList<RequestError> RequestErrors,
    IReadOnlyList<ServiceError> ServiceErrors,
    bool Body = false,
    bool Query = false,
    bool Session = true)
{
    /// <summary>Every problem the operation can answer with.</summary>
    public IEnumerable<ProblemCode> Problems()
    {
        if (Session)
        {
            yield return ProblemCode.For(RequestError.MalformedId);
        }
        yield return ProblemCode.UnknownParameter;
        if (Query)
        {
            yield return ProblemCode.InvalidParameter;
        }
        if (Body)
        {
            yield return ProblemCode.MalformedBody;
            yield return ProblemCode.InvalidField;
            yield return ProblemCode.BodyTooLarge;
            yield return ProblemCode.UnsupportedMediaType;
        }
        foreach (var error in RequestErrors)
        {
            yield return ProblemCode.For(error);
        }
        yield return ProblemCode.HostNotAllowed;
        yield return ProblemCode.OriginNotAllowed;
        yield return ProblemCode.MissingKey;
        yield return ProblemCode.UnsupportedScheme;
        yield return ProblemCode.InvalidKey;
        foreach (var error in ServiceErrors)
        {
            yield return ProblemCode.For(error);
        }
        yield return ProblemCode.Unavailable;
        yield return ProblemCode.InternalError;
    }
}
