using System.Globalization;
using System.Net;

namespace AgentSnapshots.Tests.Http;

/// <summary>A silo process whose Snapshots:MaxFilesPerWorkspace is <see cref="MaxFiles"/>.</summary>
public sealed class FileLimitSiloFixture : HttpSiloFixture
{
    public const int MaxFiles = 5;

    protected override void AddSettings(Dictionary<string, string> settings) =>
        settings["Snapshots__MaxFilesPerWorkspace"] = MaxFiles.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Snapshots:MaxFilesPerWorkspace through a real silo and real HTTP: 422 workspaceTooBroad, and nothing recorded.</summary>
public sealed class HttpFileLimitTests(FileLimitSiloFixture fixture) : IClassFixture<FileLimitSiloFixture>
{
    private const int MaxFiles = FileLimitSiloFixture.MaxFiles;

    private ApiClient Api => fixture.Api;

    [Fact]
    public async Task A_workspace_over_the_file_limit_answers_422_workspaceTooBroad_and_records_nothing()
    {
        var ws = fixture.NewWorkspace(Enumerable.Range(0, MaxFiles + 1).Select(i => ($"f{i}.txt", $"{i}\n")).ToArray());
        const string S = "/v1/sessions/http-file-limit";

        var detail = (await Api.PostAsync($"{S}/snapshots", new { dir = ws })).Problem((HttpStatusCode)422, "workspaceTooBroad");
        Assert.Contains($"more than {MaxFiles} files", detail, StringComparison.Ordinal);
        Assert.Contains("Snapshots:MaxFilesPerWorkspace", detail, StringComparison.Ordinal);
        Assert.Contains("Snapshots:AllowBroadWorkspaces", detail, StringComparison.Ordinal);
        Assert.Equal(0, await HistoryLength(S));

        // At the limit it is taken, as git takes it.
        File.Delete(Path.Combine(ws, "f0.txt"));
        var taken = (await Api.PostAsync($"{S}/snapshots", new { dir = ws })).Ok();
        Assert.Equal(MaxFiles, taken.GetProperty("files").GetInt32());
        Assert.Equal(HttpOperationsTests.GitTree(ws), taken.GetProperty("hash").GetString());

        // Grown over it between tracks (the silo's watcher reports the new directory): refused again, history unchanged.
        Directory.CreateDirectory(Path.Combine(ws, "more"));
        File.WriteAllText(Path.Combine(ws, "more", "a.txt"), "a\n");
        File.WriteAllText(Path.Combine(ws, "more", "b.txt"), "b\n");
        (await Api.PostAsync($"{S}/snapshots")).Problem((HttpStatusCode)422, "workspaceTooBroad");
        Assert.Equal(1, await HistoryLength(S));

        Directory.Delete(Path.Combine(ws, "more"), recursive: true);
        File.WriteAllText(Path.Combine(ws, "f1.txt"), "changed\n");
        var after = (await Api.PostAsync($"{S}/snapshots")).Ok();
        Assert.Equal(HttpOperationsTests.GitTree(ws), after.GetProperty("hash").GetString());
        Assert.Equal(2, await HistoryLength(S));
    }

    private async Task<int> HistoryLength(string session) =>
        (await Api.GetAsync($"{session}/snapshots")).Ok().GetProperty("snapshots").GetArrayLength();
}
