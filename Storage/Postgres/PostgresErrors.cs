using Npgsql;

namespace ChatCluster.Storage.Postgres;

/// <summary>Which driver errors mean "PostgreSQL cannot be reached now" rather than a bug or bad data.</summary>
internal static class PostgresErrors
{
    /// <summary>
    /// True for <see cref="NpgsqlException.IsTransient"/> errors (socket and I/O failures, timeouts,
    /// an exhausted pool, refused connections, "the database system is starting up", too many
    /// connections) and for server errors of class 08 (connection exception) and 57P (operator
    /// intervention: the server shuts down or crashed while the statement ran).
    /// </summary>
    public static bool IsUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case PostgresException postgres when postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                                                  || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal):
                    return true;
                case NpgsqlException { IsTransient: true }:
                    return true;
            }
        }

        return false;
    }
}
