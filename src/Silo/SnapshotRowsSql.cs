namespace AgentSnapshots.Silo;

/// <summary>
/// The statements of <see cref="SnapshotRows"/>: the same text on SQLite and PostgreSQL (both take <c>@name</c>
/// parameters and <c>ON CONFLICT .. DO UPDATE</c>). The tables are in <c>Sql/SQLite/Storage.sql</c> and
/// <c>Sql/PostgreSQL/0003-snapshot-rows.sql</c>.
/// </summary>
internal static class SnapshotRowsSql
{
    /// <summary>Rows per read: a long history or catalogue is read in pages of this many.</summary>
    public const int ReadPage = 1000;

    public const string ReadSession = """
        SELECT workspace_id, directory, synced_epoch FROM snapshots_session
        WHERE service_id = @service AND session_id = @session
        """;

    public const string ReadHistory = """
        SELECT seq, hash, label, taken_ms, files, skipped, pending_from, changed, additions, deletions, exact_step
        FROM snapshots_history
        WHERE service_id = @service AND session_id = @session AND seq > @after
        ORDER BY seq LIMIT @limit
        """;

    public const string ReadWorkspace = """
        SELECT directory, sessions, collected_seq, drop_epoch, drops FROM snapshots_workspace
        WHERE service_id = @service AND workspace_id = @workspace
        """;

    public const string ReadCatalogue = """
        SELECT hash, recorded_seq, taken_ms, safety, owners FROM snapshots_catalogue
        WHERE service_id = @service AND workspace_id = @workspace AND recorded_seq > @after
        ORDER BY recorded_seq LIMIT @limit
        """;

    public const string DeleteSessionHistory = "DELETE FROM snapshots_history WHERE service_id = @service AND session_id = @session";

    public const string DeleteSession = "DELETE FROM snapshots_session WHERE service_id = @service AND session_id = @session";

    public const string UpsertSession = """
        INSERT INTO snapshots_session (service_id, session_id, workspace_id, directory, synced_epoch)
        VALUES (@service, @session, @workspace, @directory, @epoch)
        ON CONFLICT (service_id, session_id) DO UPDATE
        SET workspace_id = excluded.workspace_id, directory = excluded.directory, synced_epoch = excluded.synced_epoch
        """;

    public const string UpsertHistory = """
        INSERT INTO snapshots_history
            (service_id, session_id, seq, hash, label, taken_ms, files, skipped, pending_from, changed, additions, deletions, exact_step)
        VALUES (@service, @session, @seq, @hash, @label, @taken, @files, @skipped, @pending, @changed, @additions, @deletions, @exact)
        ON CONFLICT (service_id, session_id, seq) DO UPDATE
        SET hash = excluded.hash, label = excluded.label, taken_ms = excluded.taken_ms, files = excluded.files,
            skipped = excluded.skipped, pending_from = excluded.pending_from, changed = excluded.changed,
            additions = excluded.additions, deletions = excluded.deletions, exact_step = excluded.exact_step
        """;

    public const string SetStep = """
        UPDATE snapshots_history
        SET changed = @changed, additions = @additions, deletions = @deletions, exact_step = @exact, pending_from = NULL
        WHERE service_id = @service AND session_id = @session AND seq = @seq
        """;

    public const string DeleteHistory = "DELETE FROM snapshots_history WHERE service_id = @service AND session_id = @session AND seq = @seq";

    public const string UpsertWorkspace = """
        INSERT INTO snapshots_workspace (service_id, workspace_id, directory, sessions, collected_seq, drop_epoch, drops)
        VALUES (@service, @workspace, @directory, @sessions, @collected, @epoch, @drops)
        ON CONFLICT (service_id, workspace_id) DO UPDATE
        SET directory = excluded.directory, sessions = excluded.sessions, collected_seq = excluded.collected_seq,
            drop_epoch = excluded.drop_epoch, drops = excluded.drops
        """;

    public const string UpsertCatalogue = """
        INSERT INTO snapshots_catalogue (service_id, workspace_id, hash, recorded_seq, taken_ms, safety, owners)
        VALUES (@service, @workspace, @hash, @position, @taken, @safety, @owners)
        ON CONFLICT (service_id, workspace_id, hash) DO UPDATE
        SET recorded_seq = excluded.recorded_seq, taken_ms = excluded.taken_ms, safety = excluded.safety, owners = excluded.owners
        """;

    public const string DeleteCatalogue = "DELETE FROM snapshots_catalogue WHERE service_id = @service AND workspace_id = @workspace AND hash = @hash";
}
