using System.ComponentModel;

namespace AgentSnapshots.Silo.Http;

/// <summary>The body of login-links: optional.</summary>
public sealed record LoginLinkRequest(
    [property: Description("Where the link leads after logging in: a path of the web UI (starting with /ui/); default /ui/.")] string? Next = null);

/// <summary>A one-time web UI login link.</summary>
public sealed record LoginLink(
    [property: Description("The link, relative to the silo's address: /ui/login?token=...; valid for 60 seconds, once.")] string Url,
    [property: Description("When the link stops working.")] DateTimeOffset Expires);
