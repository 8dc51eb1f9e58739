using System.Buffers;
using System.Text.Json;
using ChatCluster.Runtime.Activations;

namespace ChatCluster.Runtime;

/// <summary>
/// The untyped view of a <see cref="GrainCall{TResult}"/> that the transport needs: name the method
/// on the wire, write and read arguments and the result, and complete or fail the call.
/// </summary>
internal interface IRemotableCall : ITurn
{
    /// <summary>The method's index in its grain interface (declaration order, inherited methods after).</summary>
    int MethodId { get; }

    /// <summary>Sets the deadline of a call that arrived from another silo (the caller's), kept if it is forwarded on.</summary>
    void SetDeadline(long deadline);

    /// <summary>The call's task (completes when the call does).</summary>
    Task Completion { get; }

    void WriteArguments(Utf8JsonWriter writer);

    void ReadArguments(in ReadOnlySequence<byte> payload);

    /// <summary>Writes the result of the successfully completed call (nothing for a method returning Task).</summary>
    void WriteResult(Utf8JsonWriter writer);

    /// <summary>Reads the result from a response payload and completes the call with it.</summary>
    void Complete(in ReadOnlySequence<byte> payload);

    bool TryFail(Exception exception);
}
