using Microsoft.Data.Sqlite;

namespace ChatCluster.Bench.GrainStorage;

/// <summary>
/// The SQL that lets Orleans' ADO.NET grain storage provider run on SQLite (<c>adonet-sqlite.sql</c>, embedded):
/// the state table in WAL mode and the provider's three queries.
/// </summary>
internal static class AdoNetSqliteScript
{
    /// <summary>The ADO.NET invariant under which the provider opens SQLite (with Microsoft.Data.Sqlite).</summary>
    public const string Invariant = "System.Data.SQLite";

    private const string ResourceName = "ChatCluster.Bench.GrainStorage.adonet-sqlite.sql";

    /// <summary>Creates or updates the database file <paramref name="databasePath"/>; returns the provider's connection string for it.</summary>
    public static string Apply(string databasePath)
    {
        SQLitePCL.Batteries_V2.Init();
        var connectionString = new SqliteConnectionStringBuilder { DataSource = databasePath }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = Load();
        command.ExecuteNonQuery();
        return connectionString;
    }

    private static string Load()
    {
        using var stream = typeof(AdoNetSqliteScript).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource '{ResourceName}' is missing from the bench assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
