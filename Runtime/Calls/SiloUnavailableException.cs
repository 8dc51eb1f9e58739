namespace ChatCluster.Runtime;

/// <summary>The silo cannot take the call now (it is stopping or stopped). Safe to retry elsewhere or later.</summary>
public sealed class SiloUnavailableException : Exception
{
    public SiloUnavailableException() { }

    public SiloUnavailableException(string message) : base(message) { }

    public SiloUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
