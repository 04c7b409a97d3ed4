using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace PromptCache.Tokenizers.Json
{
    /// <summary>
    /// A small, allocation-lean JSON parser over UTF-8 bytes. It exists because the tokenizer
    /// library must stay dependency-free for netstandard2.0, and because the 11 MB Qwen
    /// <c>tokenizer.json</c> must load quickly: strings without escapes are decoded straight from
    /// the byte buffer, and integers are kept as their literal until asked for.
    /// </summary>
    internal sealed class JsonParser
    {
        // Loading runs once, over hundreds of thousands of entries: compile these loops fully
        // optimized at once instead of starting in unoptimized tier 0 (AggressiveOptimization;
        // the numeric value, because netstandard2.0 does not name it).
        private const MethodImplOptions LoadPath = (MethodImplOptions)512;

        private readonly byte[] _data;
        private readonly string _source;
        private int _pos;
        private readonly int _end;
        private StringBuilder? _scratch;

        private JsonParser(byte[] data, int start, int end, string source)
        {
            _data = data;
            _pos = start;
            _end = end;
            _source = source;
        }

        /// <summary>Parses a whole JSON document.</summary>
        /// <param name="utf8">The document bytes (a UTF-8 BOM is skipped).</param>
        /// <param name="source">A file name or label for error messages.</param>
        /// <exception cref="InvalidDataException">The text is not valid JSON; the message gives the byte offset and line.</exception>
        public static JsonNode Parse(byte[] utf8, string source)
        {
            int start = utf8.Length >= 3 && utf8[0] == 0xEF && utf8[1] == 0xBB && utf8[2] == 0xBF ? 3 : 0;
            var parser = new JsonParser(utf8, start, utf8.Length, source);
            parser.SkipWhitespace();
            JsonNode root = parser.ParseValue(0);
            parser.SkipWhitespace();
            if (parser._pos != parser._end) throw parser.Error("unexpected text after the JSON value");
            return root;
        }

        /// <summary>Parses a JSON document held in a string.</summary>
        public static JsonNode Parse(string text, string source) => Parse(Encoding.UTF8.GetBytes(text), source);

        // ---- Cursor API: lets a loader stream through a big document (the 150k-entry vocabulary
        // and merge list of tokenizer.json) without building a node per entry.

        /// <summary>Opens a cursor positioned at the document's top-level value.</summary>
        public static JsonParser Open(byte[] utf8, string source)
        {
            int start = utf8.Length >= 3 && utf8[0] == 0xEF && utf8[1] == 0xBB && utf8[2] == 0xBF ? 3 : 0;
            var parser = new JsonParser(utf8, start, utf8.Length, source);
            parser.SkipWhitespace();
            return parser;
        }

        /// <summary>The kind of the value at the cursor.</summary>
        public JsonKind PeekKind()
        {
            SkipWhitespace();
            switch (Peek())
            {
                case (byte)'{': return JsonKind.Object;
                case (byte)'[': return JsonKind.Array;
                case (byte)'"': return JsonKind.String;
                case (byte)'t': return JsonKind.True;
                case (byte)'f': return JsonKind.False;
                case (byte)'n': return JsonKind.Null;
                default: return JsonKind.Number;
            }
        }

        /// <summary>Consumes the '{' or '[' that opens a container.</summary>
        public void Enter(JsonKind kind)
        {
            SkipWhitespace();
            byte expected = kind == JsonKind.Object ? (byte)'{' : (byte)'[';
            if (Peek() != expected) throw Error(kind == JsonKind.Object ? "expected an object" : "expected an array");
            _pos++;
        }

        /// <summary>Moves to the next member of the current object; false (after consuming '}') at its end.</summary>
        [MethodImpl(LoadPath)]
        public bool NextProperty(ref bool first, out string name)
        {
            SkipWhitespace();
            byte c = Peek();
            if (c == (byte)'}') { _pos++; name = string.Empty; return false; }
            if (!first)
            {
                if (c != (byte)',') throw Error("expected ',' or '}' in an object");
                _pos++;
                SkipWhitespace();
            }
            first = false;
            if (Peek() != (byte)'"') throw Error("expected a member name in quotes");
            name = ParseString();
            SkipWhitespace();
            if (Peek() != (byte)':') throw Error("expected ':' after a member name");
            _pos++;
            SkipWhitespace();
            return true;
        }

        /// <summary>Moves to the next item of the current array; false (after consuming ']') at its end.</summary>
        [MethodImpl(LoadPath)]
        public bool NextItem(ref bool first)
        {
            SkipWhitespace();
            byte c = Peek();
            if (c == (byte)']') { _pos++; return false; }
            if (!first)
            {
                if (c != (byte)',') throw Error("expected ',' or ']' in an array");
                _pos++;
                SkipWhitespace();
            }
            first = false;
            return true;
        }

        /// <summary>Reads any value at the cursor as a node.</summary>
        public JsonNode ReadValue()
        {
            SkipWhitespace();
            return ParseValue(0);
        }

        /// <summary>Reads a string value.</summary>
        public string ReadString()
        {
            SkipWhitespace();
            if (Peek() != (byte)'"') throw Error("expected a string");
            return ParseString();
        }

        /// <summary>Reads a string value into <paramref name="buffer"/> (grown as needed) without allocating a string when it has no escapes.</summary>
        [MethodImpl(LoadPath)]
        public int ReadStringInto(ref char[] buffer)
        {
            SkipWhitespace();
            if (Peek() != (byte)'"') throw Error("expected a string");
            int start = _pos + 1;
            int i = start;
            while (i < _end)
            {
                byte b = _data[i];
                if (b == (byte)'"')
                {
                    int byteCount = i - start;
                    if (buffer.Length < byteCount) buffer = new char[byteCount * 2];
                    _pos = i + 1;
                    return Encoding.UTF8.GetChars(_data, start, byteCount, buffer, 0);
                }
                if (b == (byte)'\\' || b < 0x20) break;
                i++;
            }
            string s = ParseString();
            if (buffer.Length < s.Length) buffer = new char[s.Length * 2];
            s.CopyTo(0, buffer, 0, s.Length);
            return s.Length;
        }

        /// <summary>Reads an integer value (digits only, the common case, without allocating).</summary>
        [MethodImpl(LoadPath)]
        public long ReadInteger()
        {
            SkipWhitespace();
            int start = _pos;
            bool negative = false;
            if (_pos < _end && _data[_pos] == (byte)'-') { negative = true; _pos++; }
            long value = 0;
            int digits = 0;
            while (_pos < _end && _data[_pos] >= (byte)'0' && _data[_pos] <= (byte)'9' && digits < 18)
            {
                value = value * 10 + (_data[_pos] - '0');
                _pos++;
                digits++;
            }
            if (digits > 0 && (_pos >= _end || !IsNumberChar(_data[_pos]))) return negative ? -value : value;
            _pos = start;
            long? slow = ParseNumber().AsLong();
            if (slow == null) throw Error("expected an integer");
            return slow.Value;
        }

        private static bool IsNumberChar(byte b) => (b >= (byte)'0' && b <= (byte)'9') || b == (byte)'.' || b == (byte)'e' || b == (byte)'E' || b == (byte)'+' || b == (byte)'-';

        /// <summary>Checks that nothing but whitespace follows.</summary>
        public void ExpectEnd()
        {
            SkipWhitespace();
            if (_pos != _end) throw Error("unexpected text after the JSON value");
        }

        /// <summary>An error at the cursor, for callers that find a value of the wrong shape.</summary>
        public InvalidDataException ErrorHere(string what) => Error(what);

        [MethodImpl(LoadPath)]
        private JsonNode ParseValue(int depth)
        {
            if (depth > 512) throw Error("JSON nested deeper than 512 levels");
            if (_pos >= _end) throw Error("unexpected end of JSON");
            byte b = _data[_pos];
            switch (b)
            {
                case (byte)'{': return ParseObject(depth);
                case (byte)'[': return ParseArray(depth);
                case (byte)'"': return JsonNode.String(ParseString());
                case (byte)'t': ExpectLiteral("true"); return JsonNode.TrueNode;
                case (byte)'f': ExpectLiteral("false"); return JsonNode.FalseNode;
                case (byte)'n': ExpectLiteral("null"); return JsonNode.NullNode;
                default:
                    if (b == (byte)'-' || (b >= (byte)'0' && b <= (byte)'9')) return ParseNumber();
                    throw Error($"unexpected character '{(char)b}'");
            }
        }

        [MethodImpl(LoadPath)]
        private JsonNode ParseObject(int depth)
        {
            _pos++; // '{'
            var members = new List<KeyValuePair<string, JsonNode>>();
            SkipWhitespace();
            if (Peek() == (byte)'}') { _pos++; return JsonNode.Object(members); }
            while (true)
            {
                SkipWhitespace();
                if (Peek() != (byte)'"') throw Error("expected a member name in quotes");
                string key = ParseString();
                SkipWhitespace();
                if (Peek() != (byte)':') throw Error("expected ':' after a member name");
                _pos++;
                SkipWhitespace();
                JsonNode value = ParseValue(depth + 1);
                members.Add(new KeyValuePair<string, JsonNode>(key, value));
                SkipWhitespace();
                byte c = Peek();
                _pos++;
                if (c == (byte)',') continue;
                if (c == (byte)'}') return JsonNode.Object(members);
                _pos--;
                throw Error("expected ',' or '}' in an object");
            }
        }

        [MethodImpl(LoadPath)]
        private JsonNode ParseArray(int depth)
        {
            _pos++; // '['
            var items = new List<JsonNode>();
            SkipWhitespace();
            if (Peek() == (byte)']') { _pos++; return JsonNode.Array(items); }
            while (true)
            {
                SkipWhitespace();
                items.Add(ParseValue(depth + 1));
                SkipWhitespace();
                byte c = Peek();
                _pos++;
                if (c == (byte)',') continue;
                if (c == (byte)']') return JsonNode.Array(items);
                _pos--;
                throw Error("expected ',' or ']' in an array");
            }
        }

        [MethodImpl(LoadPath)]
        private string ParseString()
        {
            int start = ++_pos; // after the opening quote
            byte[] data = _data;
            int i = start;
            // Fast path: no escapes. Most vocabulary entries are like this.
            while (i < _end)
            {
                byte b = data[i];
                if (b == (byte)'"')
                {
                    _pos = i + 1;
                    return i == start ? string.Empty : Encoding.UTF8.GetString(data, start, i - start);
                }
                if (b == (byte)'\\') break;
                if (b < 0x20) { _pos = i; throw Error("control character inside a string"); }
                i++;
            }
            if (i >= _end) { _pos = i; throw Error("unterminated string"); }
            return ParseEscapedString(start, i);
        }

        private string ParseEscapedString(int start, int firstEscape)
        {
            StringBuilder sb = _scratch ??= new StringBuilder();
            sb.Clear();
            sb.Append(Encoding.UTF8.GetString(_data, start, firstEscape - start));
            int i = firstEscape;
            int runStart = i;
            while (true)
            {
                if (i >= _end) { _pos = i; throw Error("unterminated string"); }
                byte b = _data[i];
                if (b == (byte)'"')
                {
                    if (i > runStart) sb.Append(Encoding.UTF8.GetString(_data, runStart, i - runStart));
                    _pos = i + 1;
                    return sb.ToString();
                }
                if (b < 0x20) { _pos = i; throw Error("control character inside a string"); }
                if (b != (byte)'\\') { i++; continue; }
                if (i > runStart) sb.Append(Encoding.UTF8.GetString(_data, runStart, i - runStart));
                if (i + 1 >= _end) { _pos = i; throw Error("unterminated escape"); }
                byte e = _data[i + 1];
                i += 2;
                switch (e)
                {
                    case (byte)'"': sb.Append('"'); break;
                    case (byte)'\\': sb.Append('\\'); break;
                    case (byte)'/': sb.Append('/'); break;
                    case (byte)'b': sb.Append('\b'); break;
                    case (byte)'f': sb.Append('\f'); break;
                    case (byte)'n': sb.Append('\n'); break;
                    case (byte)'r': sb.Append('\r'); break;
                    case (byte)'t': sb.Append('\t'); break;
                    case (byte)'u':
                        if (i + 4 > _end) { _pos = i; throw Error("truncated \\u escape"); }
                        int code = 0;
                        for (int k = 0; k < 4; k++)
                        {
                            int h = HexValue(_data[i + k]);
                            if (h < 0) { _pos = i + k; throw Error("invalid hex digit in a \\u escape"); }
                            code = (code << 4) | h;
                        }
                        // Lone surrogates are kept as-is, as JSON allows them.
                        sb.Append((char)code);
                        i += 4;
                        break;
                    default:
                        _pos = i - 1;
                        throw Error($"invalid escape '\\{(char)e}'");
                }
                runStart = i;
            }
        }

        private static int HexValue(byte b)
        {
            if (b >= (byte)'0' && b <= (byte)'9') return b - '0';
            if (b >= (byte)'a' && b <= (byte)'f') return b - 'a' + 10;
            if (b >= (byte)'A' && b <= (byte)'F') return b - 'A' + 10;
            return -1;
        }

        private JsonNode ParseNumber()
        {
            int start = _pos;
            if (_data[_pos] == (byte)'-') _pos++;
            while (_pos < _end)
            {
                byte b = _data[_pos];
                if ((b >= (byte)'0' && b <= (byte)'9') || b == (byte)'.' || b == (byte)'e' || b == (byte)'E' || b == (byte)'+' || b == (byte)'-') _pos++;
                else break;
            }
            if (_pos == start || (_pos == start + 1 && _data[start] == (byte)'-')) throw Error("invalid number");
            return JsonNode.Number(Encoding.ASCII.GetString(_data, start, _pos - start));
        }

        private void ExpectLiteral(string literal)
        {
            if (_pos + literal.Length > _end) throw Error($"expected '{literal}'");
            for (int k = 0; k < literal.Length; k++)
            {
                if (_data[_pos + k] != (byte)literal[k]) throw Error($"expected '{literal}'");
            }
            _pos += literal.Length;
        }

        private byte Peek()
        {
            if (_pos >= _end) throw Error("unexpected end of JSON");
            return _data[_pos];
        }

        [MethodImpl(LoadPath)]
        private void SkipWhitespace()
        {
            while (_pos < _end)
            {
                byte b = _data[_pos];
                if (b == (byte)' ' || b == (byte)'\n' || b == (byte)'\r' || b == (byte)'\t') _pos++;
                else break;
            }
        }

        private InvalidDataException Error(string what)
        {
            int line = 1;
            int limit = Math.Min(_pos, _end);
            for (int k = 0; k < limit; k++) if (_data[k] == (byte)'\n') line++;
            return new InvalidDataException($"'{_source}' is not valid JSON: {what} at byte {_pos} (line {line}).");
        }
    }
}
