using System;
using System.Text;

namespace PromptCache.Generators.Emit;

/// <summary>
/// A tiny indentation-aware text writer for generated C#. Every line goes through <see cref="Line(string)"/>,
/// so indentation is never hand-counted in the emitters, and line endings are always "\n" (the output is
/// byte-identical on every OS, which keeps builds deterministic and snapshots stable).
/// </summary>
internal sealed class IndentedWriter
{
    private const string IndentUnit = "    ";
    private readonly StringBuilder _text = new();
    private int _depth;

    /// <summary>Writes one line at the current indentation; an empty line gets no trailing spaces.</summary>
    public IndentedWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            for (var i = 0; i < _depth; i++)
            {
                _text.Append(IndentUnit);
            }

            _text.Append(line);
        }

        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the returned scope is disposed.</summary>
    public Scope Block(string header)
    {
        Line(header);
        return Block();
    }

    /// <summary>Writes an opening brace and indents until the returned scope is disposed (which writes the closing brace).</summary>
    public Scope Block()
    {
        Line("{");
        _depth++;
        return new Scope(this, "}");
    }

    /// <summary>Indents without braces (for wrapped argument lists) until the returned scope is disposed.</summary>
    public Scope Indent()
    {
        _depth++;
        return new Scope(this, null);
    }

    /// <summary>Writes a <c>/// &lt;summary&gt;</c> block; <paramref name="text"/> must already be XML-escaped.</summary>
    public IndentedWriter Summary(string text)
    {
        Line("/// <summary>" + text + "</summary>");
        return this;
    }

    /// <inheritdoc/>
    public override string ToString() => _text.ToString();

    private void Close(string? closing)
    {
        // Members are followed by a blank line; the last one in a block should not be.
        if (closing is not null && _text.Length >= 2 && _text[_text.Length - 1] == '\n' && _text[_text.Length - 2] == '\n')
        {
            _text.Length--;
        }

        _depth--;
        if (closing is not null)
        {
            Line(closing);
        }
    }

    /// <summary>Closes an indentation level (and its brace) when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly IndentedWriter _writer;
        private readonly string? _closing;

        internal Scope(IndentedWriter writer, string? closing)
        {
            _writer = writer;
            _closing = closing;
        }

        /// <inheritdoc/>
        public void Dispose() => _writer.Close(_closing);
    }
}
