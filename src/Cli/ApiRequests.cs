namespace AgentSnapshots.Cli;

/// <summary>The body of <c>POST /v1/sessions/{session}/snapshots</c> (track).</summary>
internal sealed record TrackRequest(string? Dir, string? Label, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Workspace = null);

/// <summary>The body of <c>POST /v1/sessions/{session}/restore</c>.</summary>
internal sealed record RestoreRequest(string To);

/// <summary>The body of <c>POST /v1/sessions/{session}/revert</c>.</summary>
internal sealed record RevertRequest(string To, IReadOnlyList<string> Files);

/// <summary>
/// What the CLI reads of an <c>application/problem+json</c> reply: the stable code, the one-line detail, and for a
/// refusal the API added advice to, the fact alone (the CLI adds its own advice to it).
/// </summary>
internal sealed record ApiProblem(int? Status, string? Title, string? Detail, string? Code, string? Fact = null);
