namespace AgentSnapshots.Cli;

/// <summary>The CLI's exit codes, as the contract gives them.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Any failure that is not the caller's: the silo is unreachable, a service error, a timeout.</summary>
    public const int Failure = 1;

    /// <summary>The command line or the request was wrong; one line on stderr says what and what to do.</summary>
    public const int BadInput = 2;
}
