using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ChatCluster.Streams;

/// <summary>
/// A statement run once per row of a batch, its values bound by position straight through SQLitePCL. Through
/// <see cref="SqliteCommand"/> every execution looks up each parameter's index by name and allocates a binder per value,
/// which was the largest single source of garbage under load (12 % of a silo's allocations for the message store's
/// inserts). Text is bound as UTF-16 from the string itself, without a copy. Use it on the connection's thread only, and
/// dispose it before the connection closes.
/// </summary>
public sealed class SqliteRowStatement : IDisposable
{
    private readonly sqlite3 database;
    private readonly sqlite3_stmt statement;

    /// <param name="connection">An open connection (its transaction, if any, covers what the statement does).</param>
    /// <param name="sql">One statement with positional parameters (<c>?1</c>, <c>?2</c>, …).</param>
    /// <exception cref="SqliteException">SQLite refused the statement.</exception>
    public SqliteRowStatement(SqliteConnection connection, string sql)
    {
        ArgumentNullException.ThrowIfNull(connection);
        database = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(database, sql, out statement), database);
    }

    /// <summary>Binds text to the parameter at <paramref name="index"/> (from 1).</summary>
    public void Text(int index, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // An empty span has no address, which SQLite would take for NULL; the string overload binds an empty text.
        Check(value.Length == 0 ? raw.sqlite3_bind_text(statement, index, "") : raw.sqlite3_bind_text16(statement, index, value.AsSpan()));
    }

    /// <summary>Binds an integer to the parameter at <paramref name="index"/> (from 1).</summary>
    public void Number(int index, long value) => Check(raw.sqlite3_bind_int64(statement, index, value));

    /// <summary>Binds bytes to the parameter at <paramref name="index"/> (from 1); SQLite copies them.</summary>
    public void Bytes(int index, ReadOnlySpan<byte> value) =>
        Check(value.IsEmpty ? raw.sqlite3_bind_zeroblob(statement, index, 0) : raw.sqlite3_bind_blob(statement, index, value));

    /// <summary>Runs the statement with the values bound, then resets it for the next row.</summary>
    /// <returns>The rows the statement changed.</returns>
    /// <exception cref="SqliteException">The statement failed (a constraint, a full disk, …).</exception>
    public int Execute()
    {
        var result = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        if (result != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(result, database);
        }

        return raw.sqlite3_changes(database);
    }

    /// <summary>Runs a statement that returns one row (a query, a PRAGMA) and returns its first column as an integer.</summary>
    /// <exception cref="SqliteException">The statement failed, or returned no row.</exception>
    public long ReadInt64()
    {
        var result = raw.sqlite3_step(statement);
        var value = result == raw.SQLITE_ROW ? raw.sqlite3_column_int64(statement, 0) : 0;
        raw.sqlite3_reset(statement);
        if (result == raw.SQLITE_DONE)
        {
            throw new SqliteException("The statement returned no row.", raw.SQLITE_MISUSE);
        }

        if (result != raw.SQLITE_ROW)
        {
            SqliteException.ThrowExceptionForRC(result, database);
        }

        return value;
    }

    public void Dispose() => statement.Dispose();

    private void Check(int result)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, database);
        }
    }
}
