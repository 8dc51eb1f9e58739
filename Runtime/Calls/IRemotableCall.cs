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

    /// <summary>The call's task (completes when the call does).</summary>
    Task Completion { get; }

    /// <summary>On the receiving silo: told when the call completed, to send the response.</summary>
    IRemoteResponder? Responder { get; set; }

    /// <summary>On the receiving silo: the caller's call id, echoed in the response.</summary>
    long RemoteCallId { get; set; }

    void SetDeadline(long deadline);

    void WriteArguments(Utf8JsonWriter writer);

    void ReadArguments(in ReadOnlySequence<byte> payload);

    /// <summary>Writes the result of the successfully completed call (nothing for a method returning Task).</summary>
    void WriteResult(Utf8JsonWriter writer);

    /// <summary>Reads the result from a response payload and completes the call with it.</summary>
    void Complete(in ReadOnlySequence<byte> payload);

    bool TryFail(Exception exception);
}

/// <summary>Receives server-side calls that completed, to write their responses.</summary>
internal interface IRemoteResponder
{
    void OnCompleted(IRemotableCall call);
}
