using System.Collections;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Stratum.Transport.EventLoop;
using Stratum.Transport.Relay;
using Stratum.Transport.Tls;

namespace Stratum.Transport;

/// <summary>
/// One accepted socket as a Kestrel connection, with no pipe or loop of its own: the input is a reader that
/// receives straight from the socket when asked (after the socket's event, so an idle connection holds no
/// buffer), the output a writer that sends on flush. The connection is its own feature collection; features set
/// by the pipeline (TLS, PROXY, Kestrel's own) go in a short list.
/// </summary>
public sealed class DirectSocketConnection : ConnectionContext, IFeatureCollection, IConnectionIdFeature,
    IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IEpollSocketFeature, ITlsRecordLayerFeature, ILineRelayFeature, IDuplexPipe
{
    private static long s_lastId;

    private readonly EpollSocket _socket;
    private readonly SocketPipeReader _input;
    private readonly SocketPipeWriter _output;
    private OpenSslRecordLayer? _records;
    private CancellationTokenSource? _closed;
    private EndPoint? _localEndPoint;
    private readonly long _number = Interlocked.Increment(ref s_lastId);
    private string? _connectionId;
    private IDictionary<object, object?>? _items;
    private KeyValuePair<Type, object>[]? _features;
    private int _featureCount;
    private int _revision;
    private int _socketClosed;
    private int _closedSignalled;

    internal DirectSocketConnection(EpollSocket socket, IPEndPoint? remote)
    {
        _socket = socket;
        RemoteEndPoint = remote;
        _input = new SocketPipeReader(socket);
        _output = new SocketPipeWriter(socket, this);
        Transport = this;
    }

    // What a session keeps is what an idle miner costs, so the parts few sessions ask for are made when asked:
    // the local address (one per listener, yet a system call and two objects per connection) and the source
    // behind ConnectionClosed.

    /// <summary>The listener's address the miner connected to, read from the socket when first asked.</summary>
    public override EndPoint? LocalEndPoint
    {
        get => _localEndPoint ??= _socket.LocalEndPoint;
        set => _localEndPoint = value;
    }

    public override CancellationToken ConnectionClosed
    {
        get
        {
            var source = Volatile.Read(ref _closed);
            if (source is null)
            {
                source = new CancellationTokenSource();
                if (Interlocked.CompareExchange(ref _closed, source, null) is { } existing)
                {
                    source = existing;
                }
                else if (Volatile.Read(ref _closedSignalled) != 0)
                {
                    // Asked for after the close: already cancelled, as it would have been.
                    source.Cancel();
                }
            }

            return source.Token;
        }

        set => throw new NotSupportedException("ConnectionClosed belongs to the transport.");
    }

    PipeReader IDuplexPipe.Input => _input;

    PipeWriter IDuplexPipe.Output => _output;

    public override string ConnectionId
    {
        get => _connectionId ??= "D" + _number.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    public override IFeatureCollection Features => this;

    EpollSocket IEpollSocketFeature.Socket => _socket;

    IDuplexPipe? ITlsRecordLayerFeature.TryTakeOverRecords(SafeHandle ssl)
    {
        if (_records is not null || !_output.CanStartTls || OpenSslRecordLayer.TryCreate(ssl) is not { } records)
        {
            return null;
        }

        if (!_input.StartTls(records))
        {
            records.Dispose();
            return null;
        }

        _output.StartTls(records);
        Interlocked.Exchange(ref _records, records);
        if (Volatile.Read(ref _socketClosed) != 0)
        {
            // Closed meanwhile: nothing will use the records again, so the reference goes now.
            records.Dispose();
        }

        return this;
    }

    LineRelay? ILineRelayFeature.TryStartRelay(EpollSocket destination, ILineRelayHandler handler)
    {
        // With TLS records, Transport is this connection only once it took the records over from the TLS stream.
        if (!ReferenceEquals(Transport, this) || !_output.IsIdle || !_input.TryDetach(out var buffered, out var ended))
        {
            return null;
        }

        try
        {
            return LineRelay.Start(_socket, destination, handler, buffered, ended, Volatile.Read(ref _records));
        }
        finally
        {
            if (buffered.Array is { } array)
            {
                SocketBufferPool.Return(array);
            }
        }
    }

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    /// <summary>Closes the socket now; pending reads and writes fail and <c>ConnectionClosed</c> fires.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        _input.Abort(abortReason);
        CloseSocket();
        SignalClosed();
    }

    public override async ValueTask DisposeAsync()
    {
        // The socket's own pipes, whatever the pipeline (TLS) put in Transport on top of them.
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        CloseSocket();
        SignalClosed();
    }

    /// <summary>The end of the output is the end of the connection, as with Kestrel's socket transport.</summary>
    internal void OnOutputCompleted() => CloseSocket();

    private void CloseSocket()
    {
        if (Interlocked.Exchange(ref _socketClosed, 1) != 0)
        {
            return;
        }

        _socket.Shutdown();
        _socket.Dispose();
        _records?.Dispose();
    }

    private void SignalClosed()
    {
        if (Interlocked.Exchange(ref _closedSignalled, 1) != 0)
        {
            return;
        }

        // Callbacks registered on ConnectionClosed run on the thread pool, not inside the caller of Abort.
        if (Volatile.Read(ref _closed) is { } closed)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), closed, preferLocal: false);
        }
    }

    bool IFeatureCollection.IsReadOnly => false;

    int IFeatureCollection.Revision => _revision;

    object? IFeatureCollection.this[Type key]
    {
        get => GetFeature(key);
        set => SetFeature(key, value);
    }

    TFeature? IFeatureCollection.Get<TFeature>() where TFeature : default => (TFeature?)GetFeature(typeof(TFeature));

    void IFeatureCollection.Set<TFeature>(TFeature? instance) where TFeature : default => SetFeature(typeof(TFeature), instance);

    IEnumerator<KeyValuePair<Type, object>> IEnumerable<KeyValuePair<Type, object>>.GetEnumerator()
    {
        for (var i = 0; i < _featureCount; i++)
        {
            yield return _features![i];
        }

        foreach (var type in OwnFeatures)
        {
            if (IndexOf(type) < 0)
            {
                yield return new KeyValuePair<Type, object>(type, this);
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<Type, object>>)this).GetEnumerator();

    private static readonly Type[] OwnFeatures =
    [
        typeof(IConnectionIdFeature),
        typeof(IConnectionTransportFeature),
        typeof(IConnectionItemsFeature),
        typeof(IConnectionLifetimeFeature),
        typeof(IConnectionEndPointFeature),
        typeof(IEpollSocketFeature),
        typeof(ITlsRecordLayerFeature),
        typeof(ILineRelayFeature),
    ];

    private object? GetFeature(Type key)
    {
        var index = IndexOf(key);
        if (index >= 0)
        {
            return _features![index].Value;
        }

        return Array.IndexOf(OwnFeatures, key) >= 0 ? this : null;
    }

    private void SetFeature(Type key, object? value)
    {
        _revision++;
        var index = IndexOf(key);
        if (value is null)
        {
            if (index >= 0)
            {
                _featureCount--;
                _features![index] = _features[_featureCount];
                _features[_featureCount] = default;
            }

            return;
        }

        if (index >= 0)
        {
            _features![index] = new KeyValuePair<Type, object>(key, value);
            return;
        }

        // Kestrel sets four (heartbeat, completion, lifetime notification, metrics); TLS and PROXY add theirs.
        _features ??= new KeyValuePair<Type, object>[4];
        if (_featureCount == _features.Length)
        {
            Array.Resize(ref _features, _features.Length * 2);
        }

        _features[_featureCount++] = new KeyValuePair<Type, object>(key, value);
    }

    private int IndexOf(Type key)
    {
        for (var i = 0; i < _featureCount; i++)
        {
            if (_features![i].Key == key)
            {
                return i;
            }
        }

        return -1;
    }
}
