using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace PromptCache.Tokenizers.Gguf
{
    /// <summary>
    /// The header of a GGUF (v2 or v3) file: its metadata key/values and tensor table. Tensor data
    /// is not read here; callers memory-map it at <see cref="DataOffset"/> + tensor offset.
    /// </summary>
    /// <remarks>
    /// Metadata values are materialised as: integers as <see cref="long"/> (or <see cref="ulong"/>
    /// for UInt64), floats as <see cref="double"/>, <see cref="bool"/>, <see cref="string"/>, and
    /// arrays as <see cref="string"/>[] / <see cref="float"/>[] / <see cref="int"/>[] /
    /// <see cref="object"/>[] depending on the element type. Kept netstandard2.0 so the generator
    /// can read a GGUF vocabulary at build time.
    /// </remarks>
    public sealed class GgufFile
    {
        private const uint Magic = 0x46554747; // "GGUF" little-endian
        private const int DefaultAlignment = 32;

        private GgufFile(string path, uint version, Dictionary<string, object> metadata, List<GgufTensorInfo> tensors, long dataOffset)
        {
            Path = path;
            Version = version;
            Metadata = metadata;
            Tensors = tensors;
            DataOffset = dataOffset;
        }

        /// <summary>The file this header was read from.</summary>
        public string Path { get; }

        /// <summary>The GGUF format version (2 or 3).</summary>
        public uint Version { get; }

        /// <summary>Metadata keys such as <c>general.architecture</c> and <c>tokenizer.ggml.tokens</c>.</summary>
        public IReadOnlyDictionary<string, object> Metadata { get; }

        /// <summary>The tensor table, in file order.</summary>
        public IReadOnlyList<GgufTensorInfo> Tensors { get; }

        /// <summary>Absolute byte offset of the aligned tensor data section.</summary>
        public long DataOffset { get; }

#if !PROMPTCACHE_TOKENIZERS_NO_FILE_IO
        /// <summary>Reads the header of a GGUF file.</summary>
        /// <exception cref="InvalidDataException">The file is not GGUF, or is truncated or corrupt; the message says where.</exception>
        public static GgufFile Read(string path)
        {
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            {
                return Read(stream, path);
            }
        }
#endif

        /// <summary>Reads a GGUF header from a stream positioned at its start.</summary>
        public static GgufFile Read(Stream stream, string path)
        {
            var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            try
            {
                uint magic = reader.ReadUInt32();
                if (magic != Magic)
                    throw new InvalidDataException($"'{path}' is not a GGUF file: magic 0x{magic:X8}, expected 0x{Magic:X8} (\"GGUF\").");
                uint version = reader.ReadUInt32();
                if (version != 2 && version != 3)
                    throw new InvalidDataException($"'{path}': GGUF version {version} is not supported (supported: 2, 3).");
                long tensorCount = checked((long)reader.ReadUInt64());
                long kvCount = checked((long)reader.ReadUInt64());

                var metadata = new Dictionary<string, object>(StringComparer.Ordinal);
                for (long i = 0; i < kvCount; i++)
                {
                    string key = ReadString(reader, path);
                    var type = (GgufValueType)reader.ReadUInt32();
                    metadata[key] = ReadValue(reader, type, path, key);
                }

                var tensors = new List<GgufTensorInfo>((int)Math.Min(tensorCount, 1 << 20));
                for (long i = 0; i < tensorCount; i++)
                {
                    string name = ReadString(reader, path);
                    uint nDims = reader.ReadUInt32();
                    if (nDims > 8)
                        throw new InvalidDataException($"'{path}': tensor '{name}' claims {nDims} dimensions (at most 8).");
                    var dims = new long[nDims];
                    for (int d = 0; d < nDims; d++) dims[d] = checked((long)reader.ReadUInt64());
                    uint ggmlType = reader.ReadUInt32();
                    long offset = checked((long)reader.ReadUInt64());
                    tensors.Add(new GgufTensorInfo(name, dims, ggmlType, offset));
                }

                long alignment = DefaultAlignment;
                if (metadata.TryGetValue("general.alignment", out object? a) && a is long al && al > 0) alignment = al;
                long position = stream.Position;
                long dataOffset = (position + alignment - 1) / alignment * alignment;
                return new GgufFile(path, version, metadata, tensors, dataOffset);
            }
            catch (EndOfStreamException)
            {
                throw new InvalidDataException($"'{path}' is truncated: the GGUF header ends at byte {stream.Position}.");
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"'{path}' is corrupt: a GGUF count or offset near byte {stream.Position} is out of range.");
            }
        }

        /// <summary>Gets a metadata value of the given CLR type, or <paramref name="fallback"/> when absent.</summary>
        /// <exception cref="InvalidDataException">The key exists with another type.</exception>
        public T Get<T>(string key, T fallback)
        {
            if (!Metadata.TryGetValue(key, out object? value)) return fallback;
            if (value is T typed) return typed;
            throw new InvalidDataException($"'{Path}': metadata '{key}' is a {value.GetType().Name}, expected {typeof(T).Name}.");
        }

        /// <summary>Gets a required metadata value.</summary>
        /// <exception cref="InvalidDataException">The key is missing or has another type.</exception>
        public T GetRequired<T>(string key)
        {
            if (!Metadata.ContainsKey(key))
                throw new InvalidDataException($"'{Path}': required GGUF metadata key '{key}' is missing.");
            return Get<T>(key, default!);
        }

        private static string ReadString(BinaryReader reader, string path)
        {
            ulong length = reader.ReadUInt64();
            if (length > int.MaxValue)
                throw new InvalidDataException($"'{path}': a GGUF string length {length} near byte {reader.BaseStream.Position} is corrupt.");
            byte[] bytes = reader.ReadBytes((int)length);
            if (bytes.Length != (int)length) throw new EndOfStreamException();
            return Encoding.UTF8.GetString(bytes);
        }

        private static object ReadValue(BinaryReader reader, GgufValueType type, string path, string key)
        {
            switch (type)
            {
                case GgufValueType.UInt8: return (long)reader.ReadByte();
                case GgufValueType.Int8: return (long)reader.ReadSByte();
                case GgufValueType.UInt16: return (long)reader.ReadUInt16();
                case GgufValueType.Int16: return (long)reader.ReadInt16();
                case GgufValueType.UInt32: return (long)reader.ReadUInt32();
                case GgufValueType.Int32: return (long)reader.ReadInt32();
                case GgufValueType.Float32: return (double)reader.ReadSingle();
                case GgufValueType.Bool: return reader.ReadByte() != 0;
                case GgufValueType.String: return ReadString(reader, path);
                case GgufValueType.UInt64: return reader.ReadUInt64();
                case GgufValueType.Int64: return reader.ReadInt64();
                case GgufValueType.Float64: return reader.ReadDouble();
                case GgufValueType.Array: return ReadArray(reader, path, key);
                default:
                    throw new InvalidDataException($"'{path}': metadata '{key}' has unknown GGUF value type {(uint)type}.");
            }
        }

        private static object ReadArray(BinaryReader reader, string path, string key)
        {
            var elementType = (GgufValueType)reader.ReadUInt32();
            ulong count = reader.ReadUInt64();
            if (count > int.MaxValue)
                throw new InvalidDataException($"'{path}': metadata array '{key}' claims {count} elements.");
            int n = (int)count;
            switch (elementType)
            {
                case GgufValueType.String:
                    var strings = new string[n];
                    for (int i = 0; i < n; i++) strings[i] = ReadString(reader, path);
                    return strings;
                case GgufValueType.Float32:
                    var floats = new float[n];
                    for (int i = 0; i < n; i++) floats[i] = reader.ReadSingle();
                    return floats;
                case GgufValueType.Int32:
                case GgufValueType.UInt32:
                    var ints = new int[n];
                    for (int i = 0; i < n; i++) ints[i] = reader.ReadInt32();
                    return ints;
                default:
                    var items = new object[n];
                    for (int i = 0; i < n; i++) items[i] = ReadValue(reader, elementType, path, key);
                    return items;
            }
        }
    }
}
