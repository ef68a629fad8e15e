using System.Text.Json;
using AgentSnapshots.Silo.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;

namespace AgentSnapshots.Silo.Mcp;

/// <summary>
/// A tool's result: the operation's reply as the API's JSON (one text block), or a tool error (<c>isError</c>) whose
/// text is the API's problem for the same failure, "Title (code): detail", so a model reads what was wrong and what to
/// do, and a program can match the code. Service failures are logged as the API logs them; their text names no internals.
/// </summary>
internal sealed partial class ToolReplies(ILogger<ToolReplies> logger)
{
    public async Task<CallToolResult> CallAsync<T>(string tool, Func<Task<T>> call)
    {
        try
        {
            var reply = await call();
            return new CallToolResult { Content = [new TextContentBlock { Text = JsonSerializer.Serialize(reply, ContractJson.Options) }] };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var (problem, detail, _) = ExceptionProblems.Of(e, ToolAdvice.For);
            if (problem.Status >= StatusCodes.Status500InternalServerError)
            {
                LogFailed(tool, problem.Code, e);
            }
            return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = $"{problem.Title} ({problem.Code}): {detail}" }] };
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "MCP tool {Tool} failed ({Code})")]
    private partial void LogFailed(string tool, string code, Exception exception);
}
