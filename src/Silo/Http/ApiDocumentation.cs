using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AgentSnapshots.Silo.Http;

/// <summary>
/// The OpenAPI 3.1 document of the API (<c>/openapi/v1.json</c>): every operation with an example body, an example
/// reply and an example of each problem it can answer with, and the <c>code</c> every problem carries. The document
/// is committed as <c>src/Silo/openapi/v1.json</c>; a test fails when the served one differs.
/// </summary>
internal static class ApiDocumentation
{
    public const string DocumentName = "v1";
    private const string Json = "application/json";
    private const string ProblemJson = "application/problem+json";
    private const string BearerScheme = "bearer";

    /// <summary>The members every problem of the API has.</summary>
    private static readonly string[] AlwaysInProblems = ["title", "status", "detail", "code"];

    /// <summary>Declares the operation's body, reply and problems, and attaches its examples.</summary>
    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder builder, OperationExamples examples)
    {
        builder.WithMetadata(examples).Produces(StatusCodes.Status200OK, examples.Reply.GetType(), Json);
        if (examples.Request is { } request)
        {
            builder.Accepts(request.GetType(), isOptional: request is TrackRequest, Json);
        }
        foreach (var status in examples.Problems().Select(p => p.Status).Distinct().Order())
        {
            builder.ProducesProblem(status);
        }
        return builder;
    }

    public static void Configure(OpenApiOptions options)
    {
        options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "AgentSnapshots HTTP API",
                Version = "v1",
                Description = "Snapshots of coding agents' working trees: track, see what changed, restore. Replies are the CLI's --json shapes; "
                    + "errors are application/problem+json with a stable 'code'. Every /v1 request needs 'Authorization: Bearer <key>': a tenant's key "
                    + "(Auth:Tenants; a tenant sees only its own sessions) or, without tenants, the silo's local key (Auth:LocalKey or the file "
                    + "Auth:LocalKeyFile, default ~/.config/agentsnapshots/local.key). Requests with a Host other than a loopback name or "
                    + "Http:AllowedHosts, or an Origin other than the silo's own or Http:AllowedOrigins, are refused.",
            };
            // The document is the same whichever address served it (it is committed and compared).
            document.Servers = [];
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The tenant's API key, when the service has tenants; without tenants, the silo's local key.",
            };
            if (document.Components.Schemas?.TryGetValue("ProblemDetails", out var problem) == true && problem is OpenApiSchema schema)
            {
                schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
                // The API's problems always carry these, never null.
                schema.Properties["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What kind of problem, for people." };
                schema.Properties["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status." };
                schema.Properties["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What was wrong and what to do." };
                schema.Properties[ProblemWriter.FactExtension] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "With a refusal whose detail adds the API's advice: what was wrong, without the advice, for clients that word their own.",
                };
                schema.Properties["code"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "What went wrong, stable across versions: one of the listed codes.",
                    Enum = [.. ProblemCode.All.Select(p => (JsonNode)JsonValue.Create(p.Code)!)],
                };
                schema.Required ??= new HashSet<string>();
                foreach (var always in AlwaysInProblems)
                {
                    schema.Required.Add(always);
                }
            }
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var examples = context.Description.ActionDescriptor.EndpointMetadata.OfType<OperationExamples>().FirstOrDefault();
            if (examples is null)
            {
                return Task.CompletedTask;
            }
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
            if (examples.Request is { } request && operation.RequestBody?.Content?.TryGetValue(Json, out var body) == true)
            {
                body.Example = Node(request);
            }
            if (operation.Responses is null)
            {
                return Task.CompletedTask;
            }
            if (operation.Responses.TryGetValue("200", out var ok) && ok.Content?.TryGetValue(Json, out var reply) == true)
            {
                reply.Example = Node(examples.Reply);
            }
            foreach (var group in examples.Problems().GroupBy(p => p.Status))
            {
                var key = group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!operation.Responses.TryGetValue(key, out var response) || response is not OpenApiResponse editable
                    || editable.Content?.TryGetValue(ProblemJson, out var media) != true || media is null)
                {
                    continue;
                }
                editable.Description = string.Join("; ", group.Select(p => $"{p.Code}: {p.Title}"));
                media.Examples = group.ToDictionary(p => p.Code, p => (IOpenApiExample)new OpenApiExample
                {
                    Summary = p.Title,
                    Value = Node(ProblemWriter.Details(p, p.Example)),
                });
            }
            return Task.CompletedTask;
        });
    }

    private static JsonNode? Node(object value) => JsonSerializer.SerializeToNode(value, value.GetType(), ContractJson.Options);
}
