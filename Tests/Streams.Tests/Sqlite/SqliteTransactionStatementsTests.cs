using Microsoft.Data.Sqlite;
using Xunit;

namespace ChatCluster.Streams.Tests.Sqlite;

/// <summary>A writer's own BEGIN, COMMIT and ROLLBACK: what they keep and what they undo, transaction after transaction.</summary>
public sealed class SqliteTransactionStatementsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("chatcluster-tx-").FullName;

    [Fact]
    public void Committed_rows_stay_and_rolled_back_rows_go_over_many_transactions()
    {
        var path = Path.Combine(directory, "test.db");
        using var writer = Open(path);
        var (transactions, insert) = TableOfIds(writer, immediate: true);
        using var disposeTransactions = transactions;
        using var disposeInsert = insert;

        for (var id = 1; id <= 100; id++)
        {
            transactions.Begin();
            insert.Number(1, id);
            insert.Execute();
            if (id % 2 == 0)
            {
                transactions.Commit();
            }
            else
            {
                transactions.RollbackIfOpen();
            }
        }

        // Read through another connection: what it sees is on disk, not in the writer's open transaction.
        using var reader = Open(path);
        Assert.Equal(50, Scalar(reader, "SELECT count(*) FROM t"));
        Assert.Equal(0, Scalar(reader, "SELECT count(*) FROM t WHERE id % 2 = 1"));
    }

    [Fact]
    public void A_failed_statement_is_undone_with_the_rest_of_its_transaction_and_the_next_one_starts_clean()
    {
        using var writer = Open(Path.Combine(directory, "failed.db"));
        var (transactions, insert) = TableOfIds(writer, immediate: false);
        using var disposeTransactions = transactions;
        using var disposeInsert = insert;

        transactions.Begin();
        insert.Number(1, 1);
        insert.Execute();
        insert.Number(1, 1);
        Assert.Throws<SqliteException>(() => insert.Execute()); // the primary key
        transactions.RollbackIfOpen();
        transactions.RollbackIfOpen(); // none open any more: nothing to do, no error

        transactions.Begin();
        insert.Number(1, 2);
        insert.Execute();
        transactions.Commit();

        Assert.Equal(2, Scalar(writer, "SELECT coalesce(sum(id), 0) FROM t"));
        Assert.Throws<SqliteException>(() => transactions.Commit()); // no transaction is open
    }

    [Fact]
    public void An_immediate_begin_waits_the_connections_timeout_for_another_connections_write_lock_then_fails()
    {
        var path = Path.Combine(directory, "locked.db");
        using var writer = Open(path);
        Execute(writer, "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY)");
        using var other = Open(path, defaultTimeoutSeconds: 1);
        Execute(writer, "BEGIN IMMEDIATE");
        using var transactions = new SqliteTransactionStatements(other, immediate: true);

        var waited = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<SqliteException>(() => transactions.Begin());

        Assert.Equal(5, error.SqliteErrorCode); // SQLITE_BUSY
        Assert.True(waited.Elapsed >= TimeSpan.FromMilliseconds(900), $"Gave up after {waited.Elapsed}, not after the connection's 1 s timeout.");
        Execute(writer, "ROLLBACK");
        transactions.Begin();
        transactions.Commit();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(directory, recursive: true);
    }

    // A table t of ids on the writer, its transactions and its insert of one id.
    private static (SqliteTransactionStatements Transactions, SqliteRowStatement Insert) TableOfIds(SqliteConnection writer, bool immediate)
    {
        Execute(writer, "CREATE TABLE t (id INTEGER PRIMARY KEY)");
        return (new SqliteTransactionStatements(writer, immediate), new SqliteRowStatement(writer, "INSERT INTO t (id) VALUES (?1)"));
    }

    private static SqliteConnection Open(string path, int defaultTimeoutSeconds = 30)
    {
        var connection = new SqliteConnection(
            new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, DefaultTimeout = defaultTimeoutSeconds }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
