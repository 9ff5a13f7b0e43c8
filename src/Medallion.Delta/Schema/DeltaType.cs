namespace Medallion.Delta.Schema;

/// <summary>A Delta data type (PROTOCOL.md "Schema Serialization Format"): primitive, decimal, struct, array or map.</summary>
public abstract record DeltaType;
