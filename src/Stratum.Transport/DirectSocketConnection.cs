using System.Collections;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Stratum.Transport.EventLoop;

namespace Stratum.Transport;

/// <summary>
/// One accepted socket as a Kestrel connection, with no pipe or loop of its own: the input is a reader that
/// receives straight from the socket when asked (after the socket's event, so an idle connection holds no
/// buffer), the output a writer that sends on flush. The connection is its own feature collection; features set
/// by the pipeline (TLS, PROXY, Kestrel's own) go in a short list.
/// </summary>
public sealed class DirectSocketConnection : ConnectionContext, IFeatureCollection, IConnectionIdFeature,
    IConnectionTransportFeature, IConnectionItemsFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IEpollSocketFeature
{
    private static long s_lastId;

    private readonly EpollSocket _socket;
    private readonly SocketPipeReader _input;
    private readonly PipeWriter _output;
    private readonly CancellationTokenSource _closed = new();
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
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = remote;
        ConnectionClosed = _closed.Token;
        _input = new SocketPipeReader(socket);
        _output = new SocketPipeWriter(socket, this);
        Transport = new DuplexPipe(_input, _output);
    }

    public override string ConnectionId
    {
        get => _connectionId ??= "D" + _number.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        set => _connectionId = value;
    }

    public override IFeatureCollection Features => this;

    EpollSocket IEpollSocketFeature.Socket => _socket;

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
    }

    private void SignalClosed()
    {
        if (Interlocked.Exchange(ref _closedSignalled, 1) != 0)
        {
            return;
        }

        // Callbacks registered on ConnectionClosed run on the thread pool, not inside the caller of Abort.
        ThreadPool.UnsafeQueueUserWorkItem(static source => source.Cancel(), _closed, preferLocal: false);
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

        _features ??= new KeyValuePair<Type, object>[6];
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

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
