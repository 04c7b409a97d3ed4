using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace PromptCache.Pml.Parsing
{
    /// <summary>
    /// Splits PML into text and tags, leniently where the reference (lxml with recover) is: a '&lt;'
    /// that does not begin a well-formed tag, or an '&amp;' that does not begin a known entity, stays
    /// text with a warning. A tag whose name PML defines must be well formed: a broken one is an error.
    /// </summary>
    internal sealed class MarkupLexer
    {
        private readonly SourceText _source;
        private readonly string _text;
        private readonly ISet<string> _strictNames;
        private readonly List<PmlDiagnostic> _diagnostics;
        private readonly List<MarkupToken> _tokens = new List<MarkupToken>();
        private readonly StringBuilder _pending = new StringBuilder();
        private int _pendingStart = -1;
        private int _pendingEnd;
        private int _pos;

        public MarkupLexer(SourceText source, ISet<string> strictNames, List<PmlDiagnostic> diagnostics)
        {
            _source = source;
            _text = source.Text;
            _strictNames = strictNames;
            _diagnostics = diagnostics;
        }

        public List<MarkupToken> Lex()
        {
            while (_pos < _text.Length)
            {
                char c = _text[_pos];
                if (c == '<')
                    LexMarkup();
                else if (c == '&')
                    LexEntity();
                else
                {
                    int runEnd = _pos + 1;
                    while (runEnd < _text.Length && _text[runEnd] != '<' && _text[runEnd] != '&')
                        runEnd++;
                    AppendText(_text.Substring(_pos, runEnd - _pos), _pos, runEnd);
                    _pos = runEnd;
                }
            }
            FlushText();
            return _tokens;
        }

        private void LexMarkup()
        {
            int start = _pos;
            if (StartsWith(start, "<!--"))
            {
                int close = _text.IndexOf("-->", start + 4, StringComparison.Ordinal);
                if (close < 0)
                {
                    Error(start, 4, "Comment is never closed: add '-->'");
                    _pos = _text.Length;
                    return;
                }
                _pos = close + 3; // comments are invisible: text on both sides merges
                return;
            }
            if (StartsWith(start, "<![CDATA["))
            {
                int contentStart = start + 9;
                int close = _text.IndexOf("]]>", contentStart, StringComparison.Ordinal);
                if (close < 0)
                {
                    Error(start, 9, "CDATA section is never closed: add ']]>'");
                    AppendText(_text.Substring(contentStart), start, _text.Length);
                    _pos = _text.Length;
                    return;
                }
                AppendText(_text.Substring(contentStart, close - contentStart), start, close + 3);
                _pos = close + 3;
                return;
            }
            if (StartsWith(start, "<?"))
            {
                int close = _text.IndexOf("?>", start + 2, StringComparison.Ordinal);
                if (close < 0)
                {
                    Error(start, 2, "Processing instruction is never closed: add '?>'");
                    _pos = _text.Length;
                    return;
                }
                _pos = close + 2;
                return;
            }
            if (StartsWith(start, "<!"))
            {
                int close = _text.IndexOf('>', start + 2);
                Error(start, 2, "Markup declarations such as <!DOCTYPE> are not supported in PML");
                _pos = close < 0 ? _text.Length : close + 1;
                return;
            }
            if (StartsWith(start, "</") && start + 2 < _text.Length && IsNameStart(_text[start + 2]))
            {
                LexEndTag(start);
                return;
            }
            if (start + 1 < _text.Length && IsNameStart(_text[start + 1]))
            {
                LexStartTag(start);
                return;
            }
            BareCharacter(start, '<');
        }

        private void LexEndTag(int start)
        {
            int nameStart = start + 2;
            int p = nameStart;
            while (p < _text.Length && IsNameChar(_text[p]))
                p++;
            string name = _text.Substring(nameStart, p - nameStart);
            while (p < _text.Length && IsWhite(_text[p]))
                p++;
            if (p < _text.Length && _text[p] == '>')
            {
                FlushText();
                _tokens.Add(MarkupToken.ForEndTag(name, start, nameStart, p + 1));
                _pos = p + 1;
                return;
            }
            if (_strictNames.Contains(name))
            {
                // A closing tag of a PML element that is cut short: report it, and still close.
                Error(p, 0, "Closing tag </" + name + " is malformed: expected '>'");
                FlushText();
                _tokens.Add(MarkupToken.ForEndTag(name, start, nameStart, p));
                _pos = p;
                return;
            }
            BareCharacter(start, '<');
        }

        private void LexStartTag(int start)
        {
            int nameStart = start + 1;
            int p = nameStart;
            while (p < _text.Length && IsNameChar(_text[p]))
                p++;
            string name = _text.Substring(nameStart, p - nameStart);
            bool strict = _strictNames.Contains(name);
            var attributes = new List<MarkupAttribute>();
            var attributeDiagnostics = new List<PmlDiagnostic>();
            string? failure = null;
            bool selfClosing = false;

            while (true)
            {
                while (p < _text.Length && IsWhite(_text[p]))
                    p++;
                if (p >= _text.Length)
                {
                    failure = "Start tag <" + name + " is never closed: expected '>' or '/>'";
                    break;
                }
                char c = _text[p];
                if (c == '>')
                {
                    p++;
                    break;
                }
                if (c == '/' && p + 1 < _text.Length && _text[p + 1] == '>')
                {
                    selfClosing = true;
                    p += 2;
                    break;
                }
                if (!IsNameStart(c))
                {
                    failure = "Unexpected '" + c + "' in start tag <" + name + ">: expected an attribute, '>' or '/>'";
                    break;
                }
                int attrNameStart = p;
                while (p < _text.Length && IsNameChar(_text[p]))
                    p++;
                string attrName = _text.Substring(attrNameStart, p - attrNameStart);
                while (p < _text.Length && IsWhite(_text[p]))
                    p++;
                if (p >= _text.Length || _text[p] != '=')
                {
                    failure = "Attribute '" + attrName + "' of <" + name + "> has no value: expected '=\"...\"'";
                    break;
                }
                p++;
                while (p < _text.Length && IsWhite(_text[p]))
                    p++;
                if (p >= _text.Length || (_text[p] != '"' && _text[p] != '\''))
                {
                    failure = "Value of attribute '" + attrName + "' of <" + name + "> must be in quotes";
                    break;
                }
                char quote = _text[p];
                int valueStart = p + 1;
                int valueEnd = _text.IndexOf(quote, valueStart);
                if (valueEnd < 0)
                {
                    failure = "Value of attribute '" + attrName + "' of <" + name + "> is never closed: expected " + quote;
                    break;
                }
                foreach (var existing in attributes)
                {
                    if (existing.Name == attrName)
                        attributeDiagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.DuplicateAttribute, _source.Location(attrNameStart, attrName.Length), attrName));
                }
                string value = DecodeAttribute(valueStart, valueEnd, attributeDiagnostics);
                attributes.Add(new MarkupAttribute(attrName, attrNameStart, value, valueStart, valueEnd));
                p = valueEnd + 1;
            }

            if (failure is null)
            {
                FlushText();
                _diagnostics.AddRange(attributeDiagnostics);
                _tokens.Add(MarkupToken.ForStartTag(name, start, nameStart, p, attributes, selfClosing));
                _pos = p;
                return;
            }

            if (strict)
            {
                // A PML element with a broken tag: report where reading stopped, then recover by
                // treating what was read as the tag so the rest of the file still gets checked.
                Error(p, p < _text.Length ? 1 : 0, failure);
                FlushText();
                _diagnostics.AddRange(attributeDiagnostics);
                // Parameters are always empty, so a broken one is closed at once to avoid a cascade.
                _tokens.Add(MarkupToken.ForStartTag(name, start, nameStart, p, attributes, selfClosing: name == "parameter"));
                _pos = p;
                return;
            }

            // Not a tag after all (e.g. "a<b && c"): the '<' is text.
            BareCharacter(start, '<');
        }

        private string DecodeAttribute(int start, int end, List<PmlDiagnostic> diagnostics)
        {
            var sb = new StringBuilder();
            int p = start;
            while (p < end)
            {
                char c = _text[p];
                if (c == '&')
                {
                    if (TryEntity(p, end, out string decoded, out int length))
                    {
                        sb.Append(decoded);
                        p += length;
                        continue;
                    }
                    diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.BareMarkupCharacter, _source.Location(p, 1), "&", "&amp;"));
                    sb.Append('&');
                }
                else if (c == '<')
                {
                    diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.BareMarkupCharacter, _source.Location(p, 1), "<", "&lt;"));
                    sb.Append('<');
                }
                else if (c == '\n' || c == '\r' || c == '\t')
                {
                    // XML attribute-value normalisation: literal line breaks and tabs read as spaces.
                    if (c == '\r' && p + 1 < end && _text[p + 1] == '\n')
                        p++;
                    sb.Append(' ');
                }
                else
                    sb.Append(c);
                p++;
            }
            return sb.ToString();
        }

        private void LexEntity()
        {
            int start = _pos;
            if (TryEntity(start, _text.Length, out string decoded, out int length))
            {
                AppendText(decoded, start, start + length);
                _pos = start + length;
                return;
            }
            BareCharacter(start, '&');
        }

        private bool TryEntity(int start, int limit, out string decoded, out int length)
        {
            decoded = string.Empty;
            length = 0;
            int semicolon = -1;
            for (int p = start + 1; p < limit && p < start + 12; p++)
            {
                if (_text[p] == ';')
                {
                    semicolon = p;
                    break;
                }
            }
            if (semicolon < 0)
                return false;
            string body = _text.Substring(start + 1, semicolon - start - 1);
            length = semicolon - start + 1;
            switch (body)
            {
                case "lt": decoded = "<"; return true;
                case "gt": decoded = ">"; return true;
                case "amp": decoded = "&"; return true;
                case "quot": decoded = "\""; return true;
                case "apos": decoded = "'"; return true;
            }
            if (body.Length >= 2 && body[0] == '#')
            {
                bool hex = body[1] == 'x' || body[1] == 'X';
                string digits = hex ? body.Substring(2) : body.Substring(1);
                if (digits.Length == 0)
                    return false;
                foreach (char d in digits)
                {
                    bool ok = hex ? Uri.IsHexDigit(d) : d >= '0' && d <= '9';
                    if (!ok)
                        return false;
                }
                if (!int.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out int code))
                    return false;
                if (code <= 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
                    return false;
                decoded = char.ConvertFromUtf32(code);
                return true;
            }
            return false;
        }

        private void BareCharacter(int position, char c)
        {
            _diagnostics.Add(PmlDiagnostic.Create(
                PmlDiagnostics.BareMarkupCharacter, _source.Location(position, 1), c.ToString(), c == '<' ? "&lt;" : "&amp;"));
            AppendText(c.ToString(), position, position + 1);
            _pos = position + 1;
        }

        private void AppendText(string value, int start, int end)
        {
            if (_pendingStart < 0)
                _pendingStart = start;
            _pending.Append(value);
            _pendingEnd = end;
        }

        private void FlushText()
        {
            if (_pendingStart < 0)
                return;
            _tokens.Add(MarkupToken.ForText(_pending.ToString(), _pendingStart, _pendingEnd));
            _pending.Clear();
            _pendingStart = -1;
        }

        private void Error(int position, int length, string message) =>
            _diagnostics.Add(PmlDiagnostic.Create(PmlDiagnostics.MalformedMarkup, _source.Location(position, length), message));

        private bool StartsWith(int position, string value) =>
            string.CompareOrdinal(_text, position, value, 0, value.Length) == 0;

        internal static bool IsNameStart(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (c > 127 && char.IsLetter(c));

        internal static bool IsNameChar(char c) => IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';

        private static bool IsWhite(char c) => c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }
}
