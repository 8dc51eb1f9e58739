namespace ChatCluster.Silo.Configuration;

/// <summary>Where the silo keeps grain state.</summary>
public enum StorageProvider
{
    /// <summary>A SQLite file under <c>./data</c>: the embedded default, durable.</summary>
    Sqlite,
    /// <summary>PostgreSQL: cluster mode.</summary>
    Postgres,
    /// <summary>Process memory: lost on exit; for trying things out.</summary>
    Memory,
}
