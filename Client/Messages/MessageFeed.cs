using System.Threading.Channels;

namespace ChatCluster.Client.Messages;

/// <summary>
/// Turns pushed frames into a gap-free stream: each followed timeline's messages come out once, in
/// seq order, without the client's own sends (their acks already went to the caller). A push that
/// skips ahead, or a reconnect, is caught up with <c>sync</c>, which is authoritative. A sync that
/// fails leaves the cursor where it was; the next push or reconnect tries again.
/// </summary>
internal sealed class MessageFeed(
    Func<string, long, CancellationToken, Task<MessagePage>> sync,
    Func<ChatMessage, bool> isOwn,
    ChannelWriter<ChatMessage> output)
{
    private const int PageSize = 500;
    private readonly Dictionary<string, TimelineCursor> cursors = new(StringComparer.Ordinal);

    public async Task RunAsync(ChannelReader<FeedItem> input, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var item in input.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (item)
                {
                    case FeedItem.Pushed pushed:
                        await OnPushedAsync(pushed.Message, cancellationToken).ConfigureAwait(false);
                        break;
                    case FeedItem.OwnAck ack:
                        Cursor(ack.Timeline, ack.Seq - 1).AddOwn(ack.Seq);
                        break;
                    case FeedItem.Follow follow:
                        cursors[follow.Timeline] = new TimelineCursor(follow.AfterSeq);
                        break;
                    case FeedItem.Connected connected:
                        await CatchUpAsync(connected.Timelines, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client is closing.
        }
        finally
        {
            output.TryComplete();
        }
    }

    private async Task OnPushedAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var cursor = Cursor(message.Timeline, message.Seq - 1);
        if (message.Seq > cursor.Delivered + 1)
        {
            // Something between is missing (dropped while reconnecting, or not pushed yet): sync has it.
            await FillAsync(message.Timeline, cursor, cancellationToken).ConfigureAwait(false);
        }

        if (message.Seq == cursor.Delivered + 1)
        {
            Deliver(cursor, message);
        }
    }

    /// <summary>A new connection: timelines known before catch up to their last seq; new ones are followed from now.</summary>
    private async Task CatchUpAsync(IReadOnlyList<TimelineState> timelines, CancellationToken cancellationToken)
    {
        foreach (var state in timelines)
        {
            if (!cursors.TryGetValue(state.Timeline, out var cursor))
            {
                cursors[state.Timeline] = new TimelineCursor(state.LastSeq);
            }
            else if (state.LastSeq > cursor.Delivered)
            {
                await FillAsync(state.Timeline, cursor, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task FillAsync(string timeline, TimelineCursor cursor, CancellationToken cancellationToken)
    {
        try
        {
            MessagePage page;
            do
            {
                page = await sync(timeline, cursor.Delivered, cancellationToken).ConfigureAwait(false);
                foreach (var message in page.Messages)
                {
                    // A crash may have skipped seqs, which are never filled: any seq past the cursor is next.
                    if (message.Seq > cursor.Delivered)
                    {
                        Deliver(cursor, message);
                    }
                }
            }
            while (page.HasMore && page.Messages.Count > 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Not now (disconnected, timed out, or no longer a member): the cursor stays, and the next push or reconnect retries.
        }
    }

    private void Deliver(TimelineCursor cursor, ChatMessage message)
    {
        if (!isOwn(message))
        {
            output.TryWrite(message);
        }

        cursor.Pass(message.Seq);
    }

    private TimelineCursor Cursor(string timeline, long deliveredIfNew)
    {
        if (!cursors.TryGetValue(timeline, out var cursor))
        {
            cursor = new TimelineCursor(Math.Max(0, deliveredIfNew));
            cursors[timeline] = cursor;
        }

        return cursor;
    }
}
