using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ChatCluster.Streams;

/// <summary>
/// <c>BEGIN</c>, <c>COMMIT</c> and <c>ROLLBACK</c> of a writer connection, each compiled once. A writer that commits
/// hundreds of times a second pays for <see cref="SqliteTransaction"/>: it compiles BEGIN and COMMIT anew each time, and
/// sets and clears a rollback hook whose cleared handle SQLitePCL leaves to the finalizer (about 1,700 finalizable
/// objects a second at 5,000 direct messages a second). Use it on the connection's thread only, with no
/// <see cref="SqliteTransaction"/> open on the connection, and dispose it before the connection closes.
/// </summary>
public sealed class SqliteTransactionStatements : IDisposable
{
    private readonly sqlite3 database;
    private readonly SqliteRowStatement begin;
    private readonly SqliteRowStatement commit;
    private readonly SqliteRowStatement rollback;

    /// <param name="connection">
    /// An open connection. Its busy timeout is set to its <see cref="SqliteConnection.DefaultTimeout"/>, so that
    /// <see cref="Begin"/> waits for another connection's write lock as long as a <see cref="SqliteTransaction"/> would.
    /// </param>
    /// <param name="immediate">
    /// Take the write lock at <c>BEGIN</c> (<c>BEGIN IMMEDIATE</c>) rather than at the first write, so that a transaction
    /// never fails half-way because another connection writes.
    /// </param>
    /// <exception cref="SqliteException">SQLite refused a statement.</exception>
    public SqliteTransactionStatements(SqliteConnection connection, bool immediate)
    {
        ArgumentNullException.ThrowIfNull(connection);
        database = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        SqliteException.ThrowExceptionForRC(raw.sqlite3_busy_timeout(database, connection.DefaultTimeout * 1000), database);
        begin = new SqliteRowStatement(connection, immediate ? "BEGIN IMMEDIATE" : "BEGIN");
        commit = new SqliteRowStatement(connection, "COMMIT");
        rollback = new SqliteRowStatement(connection, "ROLLBACK");
    }

    /// <summary>Starts a transaction.</summary>
    /// <exception cref="SqliteException">SQLite could not start it (for example, another connection held the write lock past the timeout).</exception>
    public void Begin() => begin.Execute();

    /// <summary>Commits the transaction.</summary>
    /// <exception cref="SqliteException">SQLite could not commit; call <see cref="RollbackIfOpen"/>.</exception>
    public void Commit() => commit.Execute();

    /// <summary>
    /// Rolls back the transaction if one is still open: after a failed statement or commit SQLite may have rolled it back
    /// already, or may not have.
    /// </summary>
    public void RollbackIfOpen()
    {
        if (raw.sqlite3_get_autocommit(database) == 0)
        {
            rollback.Execute();
        }
    }

    public void Dispose()
    {
        begin.Dispose();
        commit.Dispose();
        rollback.Dispose();
    }
}
