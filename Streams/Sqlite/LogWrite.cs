namespace ChatCluster.Streams;

/// <summary>What a <see cref="LogWrite"/> does in the writer's transaction.</summary>
internal enum LogWriteKind
{
    Append,
    Checkpoint,
    DeadLetter,
    Trim,
}

/// <summary>
/// One write waiting for the writer's next transaction; also the task its caller awaits, which
/// completes with the record's offset (appends) once the transaction has committed.
/// </summary>
internal sealed class LogWrite : TaskCompletionSource<long>
{
    private LogWrite(LogWriteKind kind, int queue)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Kind = kind;
        Queue = queue;
    }

    public LogWriteKind Kind { get; }

    public int Queue { get; }

    /// <summary>The reader provider of a checkpoint or dead letter.</summary>
    public string? Reader { get; private init; }

    /// <summary>The offset of a checkpoint or dead letter; for an append, the one the writer assigned.</summary>
    public long Offset { get; set; }

    public byte[] Namespace { get; private init; } = [];

    public byte[] Key { get; private init; } = [];

    public byte[] Payload { get; private init; } = [];

    /// <summary>An append's payload, decoded (the events as published), for the readers' tail.</summary>
    public LogRecordBody? Body { get; private init; }

    /// <summary>Why a dead letter could not be decoded.</summary>
    public string? Error { get; private init; }

    /// <summary>The readers whose checkpoints bound a trim.</summary>
    public IReadOnlyCollection<string> Readers { get; private init; } = [];

    /// <summary>The most records a trim deletes.</summary>
    public int MaxRecords { get; private init; }

    public static LogWrite Append(int queue, byte[] streamNamespace, byte[] key, byte[] payload, LogRecordBody? body) =>
        new(LogWriteKind.Append, queue) { Namespace = streamNamespace, Key = key, Payload = payload, Body = body };

    public static LogWrite Checkpoint(string reader, int queue, long offset) =>
        new(LogWriteKind.Checkpoint, queue) { Reader = reader, Offset = offset };

    public static LogWrite DeadLetter(string reader, int queue, LogRecord record, string error) =>
        new(LogWriteKind.DeadLetter, queue)
        {
            Reader = reader, Offset = record.Offset, Namespace = record.Namespace, Key = record.Key, Payload = record.Payload, Error = error,
        };

    public static LogWrite Trim(int queue, IReadOnlyCollection<string> readers, int maxRecords) =>
        new(LogWriteKind.Trim, queue) { Readers = readers, MaxRecords = maxRecords };
}
