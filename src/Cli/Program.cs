using AgentSnapshots.Cli;

return await AgentSnapshotsCommand.RunAsync(args, Console.Out, Console.Error);
