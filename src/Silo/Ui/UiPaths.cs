using System.Globalization;

namespace AgentSnapshots.Silo.Ui;

/// <summary>The web UI's addresses, built in one place, and the check that keeps a login link's <c>next</c> inside the UI.</summary>
internal static class UiPaths
{
    public const string Root = "/ui/";
    public const string Login = "/ui/login";
    public const string Logout = "/ui/logout";
    public const string LoginNeeded = "/ui/login-needed";

    /// <summary>
    /// Whether <paramref name="path"/> is a path of this UI to redirect to: it starts with <c>/ui/</c> (so never
    /// <c>//host</c> nor a scheme), and holds no backslash (browsers read it as a slash), control character or
    /// whitespace, and no dot segment that could climb out of <c>/ui/</c>.
    /// </summary>
    public static bool IsUiPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 2048 || !path.StartsWith(Root, StringComparison.Ordinal))
        {
            return false;
        }
        if (path.Any(c => c == '\\' || char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return false;
        }
        // Percent-encoded dots and slashes count as what they decode to.
        var decoded = Uri.UnescapeDataString(path.Split('?', '#')[0]);
        return !decoded.Contains('\\', StringComparison.Ordinal) && !decoded.Split('/').Any(s => s is "." or "..");
    }

    public static string LoginLink(string token, string? next) =>
        next is null ? $"{Login}?token={token}" : $"{Login}?token={token}&next={Uri.EscapeDataString(next)}";

    public static string Sessions(int page = 1) => page <= 1 ? Root : $"{Root}?page={page.ToString(CultureInfo.InvariantCulture)}";

    public static string Session(string session, int page = 1) =>
        $"/ui/sessions/{Uri.EscapeDataString(session)}" + (page <= 1 ? "" : $"?page={page.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The query value of <c>view</c> that lays a diff's previews out side by side (absent: unified).</summary>
    public const string SideBySide = "split";

    public static string Step(string session, string hash, bool sideBySide = false) =>
        $"/ui/sessions/{Uri.EscapeDataString(session)}/steps/{hash}" + (sideBySide ? $"?view={SideBySide}" : "");

    public static string Compare(string session, string from, string to, bool sideBySide = false) =>
        $"/ui/sessions/{Uri.EscapeDataString(session)}/compare?from={from}&to={to}" + (sideBySide ? $"&view={SideBySide}" : "");

    public static string CompareForm(string session) => $"/ui/sessions/{Uri.EscapeDataString(session)}/compare";

    public static string Restore(string session, string to) => $"/ui/sessions/{Uri.EscapeDataString(session)}/restore?to={to}";

    public static string RestoreAction(string session) => $"/ui/sessions/{Uri.EscapeDataString(session)}/actions/restore";

    public static string RevertAction(string session) => $"/ui/sessions/{Uri.EscapeDataString(session)}/actions/revert";

    public static string Events(string session) => $"/ui/sessions/{Uri.EscapeDataString(session)}/events";

    public static string Rows(string session) => $"/ui/sessions/{Uri.EscapeDataString(session)}/rows";
}
