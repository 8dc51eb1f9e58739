namespace ChatCluster.Runtime.Tests.Transport;

/// <summary>A grain interface whose class no silo hosts.</summary>
public interface IUnhostedGrain : IGrainWithStringKey
{
    Task Ping();
}

/// <summary>An exception type the transport does not know, so it comes back as a RemoteGrainException.</summary>
public sealed class CustomGrainException : Exception
{
    public CustomGrainException() { }

    public CustomGrainException(string message) : base(message) { }

    public CustomGrainException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>Throws an exception of a type of its own.</summary>
public interface ICustomThrowerGrain : IGrainWithStringKey
{
    Task Raise(string message);
}

public sealed class CustomThrowerGrain : Grain, ICustomThrowerGrain
{
    public Task Raise(string message) => throw new CustomGrainException(message);
}
