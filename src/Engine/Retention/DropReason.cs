namespace AgentSnapshots.Engine.Retention;

/// <summary>Why retention dropped a snapshot.</summary>
public enum DropReason
{
    /// <summary>Older than <c>KeepYoungerThan</c> and not among the last <c>KeepLast</c> snapshots of any session that recorded it.</summary>
    Expired,
    /// <summary>Every session that recorded it was deleted.</summary>
    SessionDeleted,
    /// <summary>The workspace recorded more than <c>MaxSnapshots</c>; the oldest unprotected ones went.</summary>
    MaxSnapshots,
    /// <summary>The store was larger than <c>MaxBytes</c>; the oldest unprotected ones went.</summary>
    MaxBytes,
}
