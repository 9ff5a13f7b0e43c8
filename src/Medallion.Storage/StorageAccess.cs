namespace Medallion.Storage;

/// <summary>What a temporary credential lets its holder do under the location it is issued for.</summary>
public enum StorageAccess
{
    /// <summary>List and read objects.</summary>
    Read,

    /// <summary>List, read, write and delete objects.</summary>
    ReadWrite,
}
