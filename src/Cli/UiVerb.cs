using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSnapshots.Cli;

/// <summary>
/// <c>agentsnapshots ui</c>: asks the silo for a one-time web UI login link with this key (<c>POST /v1/login-links</c>),
/// prints it and opens it in a browser when this machine has an opener (xdg-open, or open on macOS). Without one,
/// or if it fails, the printed link is the way in: the verb never fails for it.
/// </summary>
internal static class UiVerb
{
    public static Command Create(VerbRunner runner)
    {
        var timeline = new Option<bool>("--timeline") { Description = "lead to the session's timeline rather than the list of sessions" };
        var noOpen = new Option<bool>("--no-open") { Description = "print the link only, do not start a browser" };
        return runner.Verb(
            new Command("ui", "log into the web UI: prints a link that works once, for 60 seconds, and opens it in a browser") { timeline, noOpen },
            _ => "making a login link",
            async (api, parse, session, ct) =>
            {
                var next = parse.GetValue(timeline) ? $"/ui/sessions/{Uri.EscapeDataString(session)}" : null;
                var reply = await api.CallPathAsync(HttpMethod.Post, "v1/login-links", SiloApi.Json(new LoginLinkRequest(next), UiJson.Default.LoginLinkRequest), UiJson.Default.LoginLinkReply, ct);
                var link = reply with { Url = new Uri(api.AnsweredBy!, reply.Url).ToString() };
                var opened = !parse.GetValue(noOpen) && TryOpen(link.Url);
                var text = $"{link.Url}\n" + (opened
                    ? "Opening it in your browser. The link works once, within 60 seconds.\n"
                    : "Open it in a browser on this machine: it works once, within 60 seconds.\n");
                return VerbOutput.Of(link, UiJson.Default.LoginLinkReply, text);
            });
    }

    /// <summary>Starts the system's opener on <paramref name="url"/> without waiting for it; false if there is none or it cannot start.</summary>
    private static bool TryOpen(string url)
    {
        var opener = OperatingSystem.IsMacOS() ? "open" : "xdg-open";
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, opener))
            .FirstOrDefault(File.Exists);
        if (path is null)
        {
            return false;
        }
        try
        {
            var start = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(url);
            using var process = Process.Start(start);
            return process is not null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>The body of <c>POST /v1/login-links</c>.</summary>
internal sealed record LoginLinkRequest(string? Next);

/// <summary>Its reply: the link and when it stops working.</summary>
internal sealed record LoginLinkReply(string Url, DateTimeOffset Expires);

[JsonSerializable(typeof(LoginLinkRequest))]
[JsonSerializable(typeof(LoginLinkReply))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class UiJson : JsonSerializerContext;
