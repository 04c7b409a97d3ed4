namespace PromptCache.Runtime.Caching.Entries;

/// <summary>What an entry holds; recorded in the file so a listing can tell them apart.</summary>
public enum KvEntryKind : byte
{
    /// <summary>A prompt module's K/V at its fixed schema positions (keys stored with RoPE applied).</summary>
    Module = 1,

    /// <summary>A conversation's K/V across turns (keys stored before RoPE, so history can be re-rotated).</summary>
    Session = 2,
}
