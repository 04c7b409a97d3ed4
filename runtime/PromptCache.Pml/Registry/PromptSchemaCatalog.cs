using System;
using System.Collections.Generic;
using System.Threading;

namespace PromptCache.Pml.Registry
{
    /// <summary>
    /// The process-wide list of prompt schemas compiled into loaded assemblies. The source generator
    /// emits a module initializer in every assembly with <c>.pml</c> files that registers each of its
    /// schemas here, so a host can warm "every schema" without knowing the assemblies; a schema loaded
    /// at run time may be registered by hand.
    /// </summary>
    /// <remarks>
    /// Thread-safe: <see cref="All"/> is an immutable snapshot, replaced under a lock on each
    /// registration. A module initializer runs when its assembly is first loaded, so an assembly the
    /// app has not touched yet is not in the catalog; the entry assembly always is.
    /// Registering never throws for a name clash (an exception in a module initializer would surface
    /// far from its cause): the same class twice is ignored, and two different schemas with one name are
    /// both kept so that whoever warms them can report the clash with both types named.
    /// </remarks>
    public static class PromptSchemaCatalog
    {
        private static readonly object s_gate = new object();
        private static PromptSchemaCatalogEntry[] s_entries = new PromptSchemaCatalogEntry[0];

        /// <summary>Every registered schema, in registration order.</summary>
        public static IReadOnlyList<PromptSchemaCatalogEntry> All => Volatile.Read(ref s_entries);

        /// <summary>Registers a schema; registering the same class with the same content hash again returns the first entry.</summary>
        /// <param name="schemaName">The schema's PML name.</param>
        /// <param name="contentHash">The content hash of the source and its <c>src</c> files.</param>
        /// <param name="pmlSource">The PML source.</param>
        /// <param name="sourceFiles">The <c>src</c> files' text, keyed by the path as written in the schema.</param>
        /// <param name="promptType">The generated class.</param>
        /// <param name="fileName">The .pml file's name, for error locations (optional).</param>
        /// <returns>The entry now in the catalog.</returns>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">The schema name is empty.</exception>
        public static PromptSchemaCatalogEntry Register(string schemaName, string contentHash, string pmlSource,
            IReadOnlyDictionary<string, string> sourceFiles, Type promptType, string? fileName = null)
        {
            var entry = new PromptSchemaCatalogEntry(schemaName, contentHash, pmlSource, sourceFiles, promptType, fileName);
            lock (s_gate)
            {
                var current = s_entries;
                foreach (var existing in current)
                {
                    if (existing.PromptType == promptType && existing.ContentHash == contentHash && existing.SchemaName == schemaName)
                        return existing;
                }

                var next = new PromptSchemaCatalogEntry[current.Length + 1];
                Array.Copy(current, next, current.Length);
                next[current.Length] = entry;
                Volatile.Write(ref s_entries, next);
                return entry;
            }
        }

        /// <summary>The entries named <paramref name="schemaName"/> (usually one; more means a name clash).</summary>
        public static IReadOnlyList<PromptSchemaCatalogEntry> FindByName(string schemaName)
        {
            var found = new List<PromptSchemaCatalogEntry>();
            foreach (var entry in All)
            {
                if (string.Equals(entry.SchemaName, schemaName, StringComparison.Ordinal))
                    found.Add(entry);
            }
            return found;
        }

        /// <summary>The entry of the generated class <paramref name="promptType"/>, or null when it is not registered.</summary>
        public static PromptSchemaCatalogEntry? FindByType(Type promptType)
        {
            if (promptType == null) throw new ArgumentNullException(nameof(promptType));
            foreach (var entry in All)
            {
                if (entry.PromptType == promptType)
                    return entry;
            }
            return null;
        }
    }
}
