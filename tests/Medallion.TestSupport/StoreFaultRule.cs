using System.Text.RegularExpressions;

namespace Medallion.TestSupport;

/// <summary>
/// Which requests a fault applies to, made by <see cref="StoreProxy.Inject"/>: those whose method is
/// <see cref="Method"/> (any when null) and whose target (path and query, e.g.
/// <c>/bucket/t/_delta_log/00000000000000000001.json</c>) matches <see cref="Target"/>; of these, every
/// <see cref="Every"/>-th one, at most <see cref="Times"/> of them, until <see cref="Lift"/>. With
/// <see cref="OncePerTarget"/>, a target that got the fault never gets it again: a client's retry of it always passes,
/// however many other requests come between.
/// </summary>
public sealed class StoreFaultRule
{
    private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _matched;
    private int _injected;
    private readonly HashSet<string> _faultedTargets = new(StringComparer.Ordinal);
    private volatile bool _lifted;

    internal StoreFaultRule(StoreFault fault, string? method, Regex target, int times, int every, bool oncePerTarget)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(times);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(every);
        Fault = fault;
        Method = method;
        Target = target;
        Times = times;
        Every = every;
        OncePerTarget = oncePerTarget;
    }

    /// <summary>The fault injected.</summary>
    public StoreFault Fault { get; }

    /// <summary>The HTTP method matched (<c>PUT</c>, <c>GET</c>, ...), or null for any.</summary>
    public string? Method { get; }

    /// <summary>The pattern the request target must match.</summary>
    public Regex Target { get; }

    /// <summary>How many matching requests get the fault at most.</summary>
    public int Times { get; }

    /// <summary>Only every n-th matching request gets the fault (1: each).</summary>
    public int Every { get; }

    /// <summary>Whether each target gets the fault once at most (the request is retried with the same target).</summary>
    public bool OncePerTarget { get; }

    /// <summary>How many requests matched so far (faulted or not).</summary>
    public int Matched => Volatile.Read(ref _matched);

    /// <summary>How many requests got the fault so far.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>Completes when the fault is injected the first time.</summary>
    public Task FirstInjected => _first.Task;

    /// <summary>Stops injecting: the requests after this go to the store unharmed.</summary>
    public void Lift() => _lifted = true;

    /// <summary>Whether the request gets the fault (counting it either way).</summary>
    internal bool Take(string method, string target)
    {
        if ((Method is not null && !string.Equals(Method, method, StringComparison.OrdinalIgnoreCase)) || !Target.IsMatch(target))
        {
            return false;
        }

        lock (_first)
        {
            _matched++;
            if (_lifted || _injected >= Times || _matched % Every != 0 || (OncePerTarget && !_faultedTargets.Add(target)))
            {
                return false;
            }

            _injected++;
        }

        _first.TrySetResult();
        return true;
    }
}
