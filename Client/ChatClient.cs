using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using ChatCluster.Client.Connection;
using ChatCluster.Client.Messages;
using ChatCluster.Client.Protocol;
using Polly;
using Polly.Retry;

namespace ChatCluster.Client;

/// <summary>
/// A client of the ChatCluster protocol (PROTOCOL.md, version 1) that survives lost connections:
/// <list type="bullet">
/// <item>it reconnects by itself, with back-off and jitter, asking <see cref="ChatClientOptions.TokenProvider"/> for a token each time;</item>
/// <item>a <see cref="SendAsync"/> without an ack yet is sent again on the new connection with the same
/// <c>clientMsgId</c> (and again after <c>unavailable</c> or <c>rate_limited</c>), so it completes exactly once, with the original ack;</item>
/// <item><see cref="Messages"/> yields every followed timeline's messages in seq order, each once, catching up with
/// <c>sync</c> from the last seen seq after a reconnect or a gap.</item>
/// </list>
/// All members are thread-safe.
/// </summary>
public sealed class ChatClient : IAsyncDisposable
{
    private const int OwnClientMsgIdsKept = 10_000;

    private readonly ChatClientOptions options;
    private readonly Lock gate = new();
    private readonly Dictionary<string, PendingRequest> pending = new(StringComparer.Ordinal);
    private readonly Channel<FeedItem> feedInput = Channel.CreateUnbounded<FeedItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<ChatMessage> messages = Channel.CreateUnbounded<ChatMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly ConcurrentDictionary<string, byte> ownClientMsgIds = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> ownClientMsgIdOrder = new();
    private readonly CancellationTokenSource lifetime = new();
    private readonly ResiliencePipeline reconnectPipeline;
    private readonly ResiliencePipeline sendPipeline;
    private ClientConnection? current;
    private Task? supervisor;
    private Task? feed;
    private long nextRequest;
    private int reconnects;
    private int retriedSends;

    public ChatClient(ChatClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        reconnectPipeline = Retry(new PredicateBuilder()
            .Handle<WebSocketException>().Handle<HttpRequestException>().Handle<IOException>()
            .Handle<TimeoutException>().Handle<ChatServerException>());
        sendPipeline = Retry(new PredicateBuilder().Handle<ChatServerException>(ex => ex.IsTransient), () => Interlocked.Increment(ref retriedSends));
    }

    /// <summary>Raised on every change of <see cref="State"/>, with the reason (e.g. the close code 1012 of a draining gateway).</summary>
    public event EventHandler<ChatClientStateChangedEventArgs>? StateChanged;

    public ChatClientState State { get; private set; }

    /// <summary>The signed-in user, learnt from the first <c>timelines</c> reply after connecting.</summary>
    public string? UserId { get; private set; }

    /// <summary>How many times the client has reconnected after losing a connection.</summary>
    public int Reconnects => Volatile.Read(ref reconnects);

    /// <summary>How many times a send was answered <c>unavailable</c> or <c>rate_limited</c> and sent again.</summary>
    public int RetriedSends => Volatile.Read(ref retriedSends);

    /// <summary>
    /// Messages from others (and from this user's other devices), per timeline in seq order, each once. Read it
    /// continuously: it is unbounded. Timelines the client knows when it connects are followed from their last seq,
    /// a timeline first seen in a push from that message on; call <see cref="Follow"/> to start earlier.
    /// </summary>
    public ChannelReader<ChatMessage> Messages => messages.Reader;

    /// <summary>Opens the first connection; fails (e.g. <see cref="ChatServerException"/> <c>unauthorized</c>) if it cannot. Later drops are reconnected by themselves.</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(State == ChatClientState.Closed, this);
        if (supervisor is not null)
        {
            throw new InvalidOperationException("ConnectAsync was already called");
        }

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        Attach(connection);
        SetState(ChatClientState.Connected, "connected");
        feed = new MessageFeed(SyncAsync, IsOwn, messages.Writer).RunAsync(feedInput.Reader, lifetime.Token);
        supervisor = Task.Run(() => SuperviseAsync(connection), CancellationToken.None);
        await AnnounceConnectedAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a message and returns its ack once it is durable. Resent with the same <paramref name="clientMsgId"/> after a
    /// reconnect, <c>unavailable</c> or <c>rate_limited</c>, until acked or <see cref="ChatClientOptions.SendTimeout"/> passes.
    /// </summary>
    /// <param name="to">A timeline: <c>user:bob</c> or <c>group:g1</c>.</param>
    /// <param name="body">Any JSON object.</param>
    /// <param name="clientMsgId">The idempotency key; a new one when null. Reuse it to resend a message from an earlier run.</param>
    /// <param name="cancellationToken">Gives up waiting; the message may still be stored.</param>
    /// <exception cref="ChatServerException">Refused for good, e.g. <c>forbidden</c> (not a member) or <c>bad_frame</c>.</exception>
    /// <exception cref="TimeoutException">No ack within the send timeout; the message may or may not be stored — resend with the same clientMsgId.</exception>
    public async Task<SendAck> SendAsync(string to, JsonElement body, string? clientMsgId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(to);
        clientMsgId ??= Guid.NewGuid().ToString("N");
        RememberOwn(clientMsgId);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.SendTimeout);
        try
        {
            var reply = await sendPipeline.ExecuteAsync(
                async token => await RequestAsync(id => ClientFrames.Send(id, to, clientMsgId, body), repeatable: true, clientMsgId, token).ConfigureAwait(false),
                timeout.Token).ConfigureAwait(false);
            return SendAck.FromJson(reply, clientMsgId);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no ack for clientMsgId {clientMsgId} within {options.SendTimeout}; resend it with the same clientMsgId");
        }
    }

    /// <summary>Sends <c>{"text": text}</c>, the body the demo page uses.</summary>
    public Task<SendAck> SendTextAsync(string to, string text, string? clientMsgId = null, CancellationToken cancellationToken = default)
    {
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["text"] = text });
        return SendAsync(to, body, clientMsgId, cancellationToken);
    }

    /// <summary>Messages of <paramref name="timeline"/> after <paramref name="afterSeq"/>, at most <paramref name="limit"/> (1–500).</summary>
    public async Task<MessagePage> SyncAsync(string timeline, long afterSeq, int limit = 100, CancellationToken cancellationToken = default) =>
        MessagePage.FromJson(await RequestAsync(id => ClientFrames.Sync(id, timeline, afterSeq, limit), cancellationToken).ConfigureAwait(false));

    /// <summary>The caller's own <c>user:</c> timeline and every group they belong to, with last and read seqs.</summary>
    public async Task<IReadOnlyList<TimelineState>> TimelinesAsync(CancellationToken cancellationToken = default) =>
        TimelineState.ListFromJson(await RequestAsync(ClientFrames.Timelines, cancellationToken).ConfigureAwait(false));

    /// <summary>Moves the read cursor of <paramref name="timeline"/> forward to <paramref name="seq"/> (never backwards).</summary>
    public Task ReadAsync(string timeline, long seq, CancellationToken cancellationToken = default) =>
        RequestAsync(id => ClientFrames.Read(id, timeline, seq), cancellationToken);

    /// <summary>Creates a group owned by the caller. Not repeated after a lost connection (<see cref="ConnectionLostException"/>).</summary>
    public Task CreateGroupAsync(string group, IEnumerable<string> members, CancellationToken cancellationToken = default)
    {
        var memberList = members.ToList();
        return RequestAsync(id => ClientFrames.CreateGroup(id, group, memberList), repeatable: false, clientMsgId: null, cancellationToken);
    }

    public Task JoinGroupAsync(string group, CancellationToken cancellationToken = default) =>
        RequestAsync(id => ClientFrames.Group("group.join", id, group), repeatable: false, clientMsgId: null, cancellationToken);

    public Task LeaveGroupAsync(string group, CancellationToken cancellationToken = default) =>
        RequestAsync(id => ClientFrames.Group("group.leave", id, group), repeatable: false, clientMsgId: null, cancellationToken);

    public async Task<GroupMembers> MembersAsync(string group, CancellationToken cancellationToken = default) =>
        GroupMembers.FromJson(await RequestAsync(id => ClientFrames.Group("group.members", id, group), cancellationToken).ConfigureAwait(false));

    /// <summary>The app-level heartbeat: a <c>ping</c> answered by <c>pong</c>.</summary>
    public Task PingAsync(CancellationToken cancellationToken = default) => RequestAsync(ClientFrames.Ping, cancellationToken);

    /// <summary>Delivers <paramref name="timeline"/> on <see cref="Messages"/> from after <paramref name="afterSeq"/>, e.g. where a previous run stopped.</summary>
    public void Follow(string timeline, long afterSeq)
    {
        ArgumentException.ThrowIfNullOrEmpty(timeline);
        ArgumentOutOfRangeException.ThrowIfNegative(afterSeq);
        feedInput.Writer.TryWrite(new FeedItem.Follow(timeline, afterSeq));
        if (State == ChatClientState.Connected)
        {
            _ = AnnounceConnectedAsync(lifetime.Token); // catch up now rather than at the next push
        }
    }

    /// <summary>Closes the connection (1000) and fails what is still pending with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (State == ChatClientState.Closed)
        {
            return;
        }

        SetState(ChatClientState.Closed, "disposed");
        await lifetime.CancelAsync().ConfigureAwait(false);
        feedInput.Writer.TryComplete();
        ClientConnection? connection;
        lock (gate)
        {
            connection = current;
            current = null;
            foreach (var request in pending.Values)
            {
                request.TrySetException(new ObjectDisposedException(nameof(ChatClient)));
            }

            pending.Clear();
        }

        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        await (supervisor ?? Task.CompletedTask).ConfigureAwait(false);
        await (feed ?? Task.CompletedTask).ConfigureAwait(false);
        messages.Writer.TryComplete();
        lifetime.Dispose();
    }

    private Task<JsonElement> RequestAsync(Func<string, byte[]> frame, CancellationToken cancellationToken) =>
        WithTimeoutAsync(RequestAsync(frame, repeatable: true, clientMsgId: null, cancellationToken), cancellationToken);

    private async Task<JsonElement> WithTimeoutAsync(Task<JsonElement> request, CancellationToken cancellationToken)
    {
        try
        {
            return await request.WaitAsync(options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no reply within {options.RequestTimeout}");
        }
    }

    /// <summary>Registers a request, sends it if connected (else after the reconnect), and waits for its reply.</summary>
    private async Task<JsonElement> RequestAsync(Func<string, byte[]> frame, bool repeatable, string? clientMsgId, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(State == ChatClientState.Closed, this);
        var number = Interlocked.Increment(ref nextRequest);
        var id = "r" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var request = new PendingRequest(number, frame(id), repeatable, clientMsgId);
        lock (gate)
        {
            pending[id] = request;
            current?.Enqueue(request.Frame);
        }

        try
        {
            return await request.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (gate)
            {
                pending.Remove(id);
            }
        }
    }

    /// <summary>Runs on the receive loop: replies complete their request, pushes and own acks go to the feed in arrival order.</summary>
    private void OnFrame(ServerFrame frame)
    {
        if (frame.Type == "msg")
        {
            feedInput.Writer.TryWrite(new FeedItem.Pushed(ChatMessage.FromJson(frame.Root)));
            return;
        }

        PendingRequest? request;
        lock (gate)
        {
            if (frame.Id is null || !pending.Remove(frame.Id, out request))
            {
                return; // a reply to a request that already timed out, or an error without id
            }
        }

        if (frame.Type == "error")
        {
            request.TrySetException(new ChatServerException(
                frame.Root.TryGetProperty("code", out var code) ? code.GetString() ?? "internal" : "internal",
                frame.Root.TryGetProperty("message", out var message) ? message.GetString() ?? "" : ""));
            return;
        }

        if (frame.Type == "ack" && request.ClientMsgId is not null)
        {
            feedInput.Writer.TryWrite(new FeedItem.OwnAck(frame.Root.GetProperty("timeline").GetString()!, frame.Root.GetProperty("seq").GetInt64()));
        }

        request.TrySetResult(frame.Root);
    }

    private async Task SuperviseAsync(ClientConnection connection)
    {
        while (true)
        {
            var reason = await connection.ReceiveAsync(OnFrame, lifetime.Token).ConfigureAwait(false);
            Detach(connection);
            await connection.DisposeAsync().ConfigureAwait(false);
            if (lifetime.IsCancellationRequested)
            {
                return;
            }

            SetState(ChatClientState.Reconnecting, reason);
            try
            {
                connection = await reconnectPipeline.ExecuteAsync(async token => await OpenAsync(token).ConfigureAwait(false), lifetime.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref reconnects);
            Attach(connection);
            SetState(ChatClientState.Connected, "reconnected");
            _ = AnnounceConnectedAsync(lifetime.Token);
        }
    }

    private async Task<ClientConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var token = await options.TokenProvider(cancellationToken).ConfigureAwait(false);
        return await ClientConnection.OpenAsync(options, token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes <paramref name="connection"/> current and sends every pending request on it, oldest first.</summary>
    private void Attach(ClientConnection connection)
    {
        lock (gate)
        {
            current = connection;
            foreach (var request in pending.Values.OrderBy(request => request.Number))
            {
                connection.Enqueue(request.Frame);
            }
        }
    }

    /// <summary>The connection is gone: requests that are not safe to repeat fail now; the others wait for the next one.</summary>
    private void Detach(ClientConnection connection)
    {
        lock (gate)
        {
            if (current == connection)
            {
                current = null;
            }

            foreach (var (id, request) in pending.Where(entry => !entry.Value.Repeatable).ToList())
            {
                pending.Remove(id);
                request.TrySetException(new ConnectionLostException());
            }
        }
    }

    /// <summary>Learns the user id and lets the feed catch up every followed timeline.</summary>
    private async Task AnnounceConnectedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var timelines = await TimelinesAsync(cancellationToken).ConfigureAwait(false);
            UserId ??= timelines.FirstOrDefault(state => state.Timeline.StartsWith("user:", StringComparison.Ordinal))?.Timeline["user:".Length..];
            feedInput.Writer.TryWrite(new FeedItem.Connected(timelines));
        }
        catch (Exception ex) when (ex is TimeoutException or ChatServerException or ObjectDisposedException
            || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // Lost again, or closing: the next connection announces itself.
        }
    }

    private void RememberOwn(string clientMsgId)
    {
        if (ownClientMsgIds.TryAdd(clientMsgId, 0))
        {
            ownClientMsgIdOrder.Enqueue(clientMsgId);
            while (ownClientMsgIdOrder.Count > OwnClientMsgIdsKept && ownClientMsgIdOrder.TryDequeue(out var oldest))
            {
                ownClientMsgIds.TryRemove(oldest, out _);
            }
        }
    }

    /// <summary>A message this client sent (the caller has its ack), as found by a catch-up sync.</summary>
    private bool IsOwn(ChatMessage message) => message.From == UserId && ownClientMsgIds.ContainsKey(message.ClientMsgId);

    private Task<MessagePage> SyncAsync(string timeline, long afterSeq, CancellationToken cancellationToken) =>
        SyncAsync(timeline, afterSeq, 500, cancellationToken);

    private void SetState(ChatClientState state, string? reason)
    {
        State = state;
        StateChanged?.Invoke(this, new ChatClientStateChangedEventArgs(state, reason));
    }

    private ResiliencePipeline Retry(PredicateBuilder<object> shouldHandle, Action? onRetry = null) => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = shouldHandle,
            OnRetry = _ =>
            {
                onRetry?.Invoke();
                return ValueTask.CompletedTask;
            },
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryDelay,
            MaxDelay = options.MaxRetryDelay,
        })
        .Build();
}
