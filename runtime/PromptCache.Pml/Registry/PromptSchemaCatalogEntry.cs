using System;
using System.Collections.Generic;

namespace PromptCache.Pml.Registry
{
    /// <summary>
    /// One prompt schema compiled into some assembly: its PML source, the text of the files its
    /// <c>src</c> attributes name, and the generated class. Enough for a runtime to bind and warm the
    /// schema without the .pml file on disk.
    /// </summary>
    public sealed class PromptSchemaCatalogEntry
    {
        /// <summary>Creates an entry; <see cref="PromptSchemaCatalog.Register"/> is the usual way.</summary>
        /// <param name="schemaName">The schema's PML name.</param>
        /// <param name="contentHash">The content hash of the source and its <c>src</c> files.</param>
        /// <param name="pmlSource">The PML source.</param>
        /// <param name="sourceFiles">The <c>src</c> files' text, keyed by the path as written in the schema.</param>
        /// <param name="promptType">The generated class (or any type that stands for the schema).</param>
        /// <param name="fileName">The .pml file's name, for error locations; defaults to the schema name plus ".pml".</param>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">The schema name is empty.</exception>
        public PromptSchemaCatalogEntry(string schemaName, string contentHash, string pmlSource,
            IReadOnlyDictionary<string, string> sourceFiles, Type promptType, string? fileName = null)
        {
            if (schemaName == null) throw new ArgumentNullException(nameof(schemaName));
            if (schemaName.Length == 0) throw new ArgumentException("A schema name cannot be empty.", nameof(schemaName));
            SchemaName = schemaName;
            ContentHash = contentHash ?? throw new ArgumentNullException(nameof(contentHash));
            PmlSource = pmlSource ?? throw new ArgumentNullException(nameof(pmlSource));
            SourceFiles = sourceFiles ?? throw new ArgumentNullException(nameof(sourceFiles));
            PromptType = promptType ?? throw new ArgumentNullException(nameof(promptType));
            FileName = string.IsNullOrEmpty(fileName) ? schemaName + ".pml" : fileName!;
        }

        /// <summary>The schema's PML name.</summary>
        public string SchemaName { get; }

        /// <summary>The content hash of the source and its <c>src</c> files; cached module states are keyed on it.</summary>
        public string ContentHash { get; }

        /// <summary>The PML source.</summary>
        public string PmlSource { get; }

        /// <summary>The <c>src</c> files' text, keyed by the path as written in the schema.</summary>
        public IReadOnlyDictionary<string, string> SourceFiles { get; }

        /// <summary>The generated class.</summary>
        public Type PromptType { get; }

        /// <summary>The .pml file's name, for error locations.</summary>
        public string FileName { get; }

        /// <inheritdoc/>
        public override string ToString() => SchemaName + " (" + PromptType.FullName + ", " + ContentHash + ")";
    }
}
