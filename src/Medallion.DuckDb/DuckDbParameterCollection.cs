using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;

namespace Medallion.DuckDb;

/// <summary>The parameters of a <see cref="DuckDbCommand"/>.</summary>
public sealed class DuckDbParameterCollection : DbParameterCollection
{
    private readonly List<DuckDbParameter> _parameters = [];

    /// <inheritdoc />
    public override int Count => _parameters.Count;

    /// <inheritdoc />
    public override object SyncRoot => ((ICollection)_parameters).SyncRoot;

    /// <summary>Gets the parameter at a position.</summary>
    public new DuckDbParameter this[int index]
    {
        get => _parameters[index];
        set => _parameters[index] = value;
    }

    /// <summary>Adds a parameter.</summary>
    public DuckDbParameter Add(DuckDbParameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Adds a named parameter with a value.</summary>
    public DuckDbParameter AddWithValue(string name, object? value)
    {
        var parameter = new DuckDbParameter(name, value);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Adds a <see cref="DuckDbParameter"/>, or any other value as a positional parameter.</summary>
    public override int Add(object? value)
    {
        _parameters.Add(value as DuckDbParameter ?? new DuckDbParameter(value));
        return _parameters.Count - 1;
    }

    /// <inheritdoc />
    public override void AddRange(Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        foreach (object value in values)
        {
            Add(value);
        }
    }

    /// <inheritdoc />
    public override void Clear() => _parameters.Clear();

    /// <inheritdoc />
    public override bool Contains(object value) => value is DuckDbParameter parameter && _parameters.Contains(parameter);

    /// <inheritdoc />
    public override bool Contains(string value) => IndexOf(value) >= 0;

    /// <inheritdoc />
    public override void CopyTo(Array array, int index) => ((ICollection)_parameters).CopyTo(array, index);

    /// <inheritdoc />
    public override IEnumerator GetEnumerator() => _parameters.GetEnumerator();

    /// <inheritdoc />
    public override int IndexOf(object value) => value is DuckDbParameter parameter ? _parameters.IndexOf(parameter) : -1;

    /// <inheritdoc />
    public override int IndexOf(string parameterName)
    {
        string name = parameterName.TrimStart('$', '@', ':');
        return _parameters.FindIndex(p => string.Equals(p.NormalizedName, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <inheritdoc />
    public override void Insert(int index, object value) => _parameters.Insert(index, Cast(value));

    /// <inheritdoc />
    public override void Remove(object value) => _parameters.Remove(Cast(value));

    /// <inheritdoc />
    public override void RemoveAt(int index) => _parameters.RemoveAt(index);

    /// <inheritdoc />
    public override void RemoveAt(string parameterName) => _parameters.RemoveAt(IndexOfOrThrow(parameterName));

    /// <inheritdoc />
    protected override DbParameter GetParameter(int index) => _parameters[index];

    /// <inheritdoc />
    protected override DbParameter GetParameter(string parameterName) => _parameters[IndexOfOrThrow(parameterName)];

    /// <inheritdoc />
    protected override void SetParameter(int index, DbParameter value) => _parameters[index] = Cast(value);

    /// <inheritdoc />
    protected override void SetParameter(string parameterName, DbParameter value) => _parameters[IndexOfOrThrow(parameterName)] = Cast(value);

    private int IndexOfOrThrow(string parameterName)
    {
        int index = IndexOf(parameterName);
        return index >= 0 ? index : throw new ArgumentException($"There is no parameter named '{parameterName}'.", nameof(parameterName));
    }

    private static DuckDbParameter Cast(object value) =>
        value as DuckDbParameter ?? throw new ArgumentException($"Expected a {nameof(DuckDbParameter)}, got {value?.GetType().Name ?? "null"}.", nameof(value));
}
