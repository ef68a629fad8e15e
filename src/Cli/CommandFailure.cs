namespace AgentSnapshots.Cli;

/// <summary>
/// A verb that cannot succeed: <see cref="ExitCode"/> (<see cref="ExitCodes.BadInput"/> or <see cref="ExitCodes.Failure"/>)
/// and the one line the person reads on stderr; <see cref="OfTheOperation"/> when the silo failed the operation
/// itself (the line then says which verb failed).
/// </summary>
internal sealed class CommandFailure : Exception
{
    public CommandFailure()
    {
    }

    public CommandFailure(string message) : base(message)
    {
    }

    public CommandFailure(string message, Exception innerException) : base(message, innerException)
    {
    }

    private CommandFailure(int exitCode, bool ofTheOperation, string message) : base(message)
    {
        ExitCode = exitCode;
        OfTheOperation = ofTheOperation;
    }

    public int ExitCode { get; } = ExitCodes.Failure;

    public bool OfTheOperation { get; }

    /// <summary>The caller's mistake: nothing was changed; the message says what to do instead.</summary>
    public static CommandFailure BadInput(string message) => new(ExitCodes.BadInput, false, message);

    /// <summary>The silo answered that it could not do the operation (a service error).</summary>
    public static CommandFailure OperationFailed(string message) => new(ExitCodes.Failure, true, message);
}
