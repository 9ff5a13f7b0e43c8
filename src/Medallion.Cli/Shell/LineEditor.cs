using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace Medallion.Cli.Shell;

/// <summary>
/// A small line editor for the interactive shell: cursor movement, editing keys and a history
/// browsed with the arrow keys and kept in a file between sessions. Used only when standard input
/// is a terminal; piped input is read line by line without it.
/// </summary>
internal sealed class LineEditor
{
    private const int MaxHistory = 1_000;

    private readonly List<string> _history = [];
    private readonly string? _historyFile;

    public LineEditor(string? historyFile)
    {
        _historyFile = historyFile;
        if (historyFile is not null && File.Exists(historyFile))
        {
            foreach (string line in File.ReadAllLines(historyFile))
            {
                if (line.Length > 0)
                {
                    _history.Add(line.Replace("\\n", "\n", StringComparison.Ordinal));
                }
            }
        }
    }

    /// <summary>Reads one line after printing <paramref name="prompt"/>; null at end of input (Ctrl-D on an empty line).</summary>
    public string? ReadLine(string prompt)
    {
        Console.Write(prompt);
        var buffer = new StringBuilder();
        int cursor = 0;
        int historyIndex = _history.Count;
        string pending = string.Empty;
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    return buffer.ToString();
                case ConsoleKey.Backspace when cursor > 0:
                    buffer.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < buffer.Length:
                    buffer.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < buffer.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = buffer.Length;
                    break;
                case ConsoleKey.UpArrow when historyIndex > 0:
                    if (historyIndex == _history.Count)
                    {
                        pending = buffer.ToString();
                    }

                    Replace(buffer, _history[--historyIndex].Replace('\n', ' '), out cursor);
                    break;
                case ConsoleKey.DownArrow when historyIndex < _history.Count:
                    historyIndex++;
                    Replace(buffer, historyIndex == _history.Count ? pending : _history[historyIndex].Replace('\n', ' '), out cursor);
                    break;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control):
                    if (buffer.Length == 0)
                    {
                        Console.WriteLine();
                        return null;
                    }

                    break;
                case ConsoleKey.C when key.Modifiers.HasFlag(ConsoleModifiers.Control):
                    Console.WriteLine("^C");
                    return string.Empty;
                case ConsoleKey.U when key.Modifiers.HasFlag(ConsoleModifiers.Control):
                    buffer.Remove(0, cursor);
                    cursor = 0;
                    break;
                default:
                    if (!char.IsControl(key.KeyChar))
                    {
                        buffer.Insert(cursor++, key.KeyChar);
                    }

                    break;
            }

            Redraw(prompt, buffer, cursor);
        }
    }

    /// <summary>Remembers a finished statement (not meta-commands repeated back to back).</summary>
    public void Remember(string entry)
    {
        if (entry.Length == 0 || (_history.Count > 0 && _history[^1] == entry))
        {
            return;
        }

        _history.Add(entry);
        if (_history.Count > MaxHistory)
        {
            _history.RemoveAt(0);
        }

        if (_historyFile is not null)
        {
            try
            {
                File.WriteAllLines(_historyFile, _history.ConvertAll(h => h.Replace("\n", "\\n", StringComparison.Ordinal)));
            }
            catch (IOException)
            {
                // History is a convenience: a read-only home directory must not break the shell.
            }
            catch (UnauthorizedAccessException)
            {
                // As above.
            }
        }
    }

    private static void Replace(StringBuilder buffer, string text, out int cursor)
    {
        buffer.Clear().Append(text);
        cursor = buffer.Length;
    }

    private static void Redraw(string prompt, StringBuilder buffer, int cursor)
    {
        // Carriage return, prompt and text, clear to the end of the line, then put the cursor back.
        Console.Write("\r" + prompt + buffer + "\u001b[K");
        int back = buffer.Length - cursor;
        if (back > 0)
        {
            Console.Write($"\u001b[{back}D");
        }
    }
}
