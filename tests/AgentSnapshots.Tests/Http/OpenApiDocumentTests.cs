using System.Text.Json;

namespace AgentSnapshots.Tests.Http;

/// <summary>
/// The OpenAPI document the silo serves is the one committed in the repository (clients generate their types from
/// it), and it documents every operation with examples of its body, its reply and each problem it can answer.
/// </summary>
[Collection(HttpSiloCollectionDefinition.Name)]
public sealed class OpenApiDocumentTests(HttpSiloFixture fixture)
{
    private static readonly string[] Verbs = ["get", "post", "delete"];

    /// <summary>src/Silo/openapi/v1.json of this checkout.</summary>
    private static string CommittedPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.sln")))
            {
                return Path.Combine(dir.FullName, "src", "Silo", "openapi", "v1.json");
            }
        }
        throw new DirectoryNotFoundException($"No Orleans.sln above {AppContext.BaseDirectory}.");
    }

    [Fact]
    public async Task The_served_document_is_the_committed_one()
    {
        var served = (await fixture.Api.GetAsync("/openapi/v1.json")).Body;
        var committed = await File.ReadAllTextAsync(CommittedPath(), TestContext.Current.CancellationToken);
        if (served != committed)
        {
            var servedLines = served.Split('\n');
            var committedLines = committed.Split('\n');
            var first = Enumerable.Range(0, Math.Min(servedLines.Length, committedLines.Length)).FirstOrDefault(i => servedLines[i] != committedLines[i], Math.Min(servedLines.Length, committedLines.Length));
            Assert.Fail($"The served OpenAPI document differs from src/Silo/openapi/v1.json from line {first + 1}:\n"
                + $"  served:    {servedLines.ElementAtOrDefault(first)}\n  committed: {committedLines.ElementAtOrDefault(first)}\n"
                + "If the API change is meant, run 'dotnet build Orleans.sln && scripts/update-openapi' and commit the document and clients/typescript/src/schema.ts.");
        }
    }

    [Fact]
    public async Task Every_operation_has_examples_of_its_body_reply_and_problems()
    {
        var document = (await fixture.Api.GetAsync("/openapi/v1.json")).Ok();
        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var codes = document.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails")
            .GetProperty("properties").GetProperty("code").GetProperty("enum").EnumerateArray().Select(c => c.GetString()).ToHashSet();
        var operations = new List<string>();
        var documentedCodes = new HashSet<string>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => Verbs.Contains(o.Name)))
            {
                var op = operation.Value;
                var id = op.GetProperty("operationId").GetString()!;
                operations.Add(id);
                Assert.False(string.IsNullOrWhiteSpace(op.GetProperty("summary").GetString()), id);
                if (op.TryGetProperty("requestBody", out var body))
                {
                    Assert.True(body.GetProperty("content").GetProperty("application/json").TryGetProperty("example", out _), $"{id}: request body example");
                }
                foreach (var response in op.GetProperty("responses").EnumerateObject())
                {
                    var content = response.Value.GetProperty("content");
                    if (response.Name == "200")
                    {
                        Assert.True(content.GetProperty("application/json").TryGetProperty("example", out _), $"{id}: reply example");
                        continue;
                    }
                    var examples = content.GetProperty("application/problem+json").GetProperty("examples");
                    foreach (var example in examples.EnumerateObject())
                    {
                        var value = example.Value.GetProperty("value");
                        Assert.Equal(example.Name, value.GetProperty("code").GetString());
                        Assert.Equal(response.Name, value.GetProperty("status").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture));
                        Assert.Contains(example.Name, codes);
                        documentedCodes.Add(example.Name);
                    }
                    Assert.True(examples.EnumerateObject().Any(), $"{id} {response.Name}: no problem example");
                }
            }
        }
        Assert.Equal(["changes", "delete", "diff", "gc", "history", "loginLink", "restore", "revert", "track", "usage"], operations.Order(StringComparer.Ordinal));
        // Every code an operation can answer with is listed; only route-level ones (no such path or method) are not per operation.
        Assert.Equal(["methodNotAllowed", "noSuchRoute"], codes.Except(documentedCodes).Order(StringComparer.Ordinal));
    }
}
