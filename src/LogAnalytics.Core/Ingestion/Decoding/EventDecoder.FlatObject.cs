using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace LogAnalytics.Ingestion.Decoding;

/// <summary>
/// The common case read without <see cref="Utf8JsonReader"/>: one JSON object of names and plain values (strings
/// without escapes, numbers, <c>true</c>, <c>false</c>, <c>null</c>), all ASCII, as routers print their events.
/// </summary>
/// <remarks>
/// The scanner accepts a strict subset of what the reader accepts and gives the field table and attributes the
/// reader's loop would give; on anything else (an escape, a non-ASCII byte, a control character, a nested object or
/// array, a comment, an empty object, malformed JSON) it gives up and the message is read again by the reader, whose
/// results and error messages stay the reference. The golden master test holds the two paths to the same results.
/// </remarks>
public sealed partial class EventDecoder
{
    /// <summary>Reads a flat object into <paramref name="state"/>; false (with the state to be reset) when the
    /// message is not one this scanner handles.</summary>
    private static bool TryReadFlatObject(ReadOnlySpan<byte> json, DecodeState state)
    {
        if (json.IsEmpty || json[0] != (byte)'{')
        {
            return false;
        }
        var fields = state.Fields;
        var i = SkipWhiteSpace(json, 1);
        if (i >= json.Length || json[i] != (byte)'"')
        {
            return false; // {} and anything stranger: the reader
        }
        for (var position = 0; ; position++)
        {
            // The name: printable ASCII up to the closing quote, no escapes. Routers print the same names in the same
            // order, so the name at this position in the thread's last object is tried first (one comparison).
            Field field;
            string? knownName;
            int nameEnd;
            if (state.TryPredictName(json[(i + 1)..], position, out var predictedLength, out field, out knownName))
            {
                nameEnd = i + 1 + predictedLength;
            }
            else
            {
                nameEnd = EndOfPlainString(json, i + 1);
                if (nameEnd < 0)
                {
                    return false;
                }
                var plainName = json[(i + 1)..nameEnd];
                if (!state.TryRecallName(plainName, out field, out knownName))
                {
                    FieldNames.TryLookupAscii(plainName, out field); // ASCII, so always answered
                    knownName = field == Field.Unknown ? null : FieldNames.NameOf(field, plainName);
                    state.RememberName(plainName, field, knownName);
                }
                state.PredictName(plainName, position, field, knownName);
            }
            var name = json[(i + 1)..nameEnd];
            i = SkipWhiteSpace(json, nameEnd + 1);
            if (i >= json.Length || json[i] != (byte)':')
            {
                return false;
            }
            i = SkipWhiteSpace(json, i + 1);
            if (i >= json.Length)
            {
                return false;
            }

            var start = i;
            ValueKind kind;
            switch (json[i])
            {
                case (byte)'"':
                    var stringEnd = EndOfPlainString(json, i + 1);
                    if (stringEnd < 0)
                    {
                        return false;
                    }
                    i = stringEnd + 1;
                    kind = ValueKind.String;
                    break;
                case (byte)'-' or (>= (byte)'0' and <= (byte)'9'):
                    i = EndOfNumber(json, i);
                    if (i < 0 || !IsDelimiter(json, i))
                    {
                        return false;
                    }
                    kind = ValueKind.Number;
                    break;
                case (byte)'t' when json[i..].StartsWith("true"u8) && IsDelimiter(json, i + 4):
                    i += 4;
                    kind = ValueKind.Boolean;
                    break;
                case (byte)'f' when json[i..].StartsWith("false"u8) && IsDelimiter(json, i + 5):
                    i += 5;
                    kind = ValueKind.Boolean;
                    break;
                case (byte)'n' when json[i..].StartsWith("null"u8) && IsDelimiter(json, i + 4):
                    i += 4;
                    kind = ValueKind.Null;
                    break;
                default:
                    return false; // an object, an array, or not JSON
            }

            // The same decisions as the reader's loop in DecodeObject.
            if (field != Field.Unknown && fields[(int)field].Kind == ValueKind.Absent)
            {
                ref var slot = ref fields[(int)field];
                slot = PlainValue(json, start, i, kind, field, state);
                slot.Name = knownName;
            }
            else
            {
                state.AppendAttributeName(name);
                state.AppendAttributeRaw(json[start..i]);
            }

            i = SkipWhiteSpace(json, i);
            if (i >= json.Length)
            {
                return false;
            }
            if (json[i] == (byte)'}')
            {
                return SkipWhiteSpace(json, i + 1) == json.Length;
            }
            if (json[i] != (byte)',')
            {
                return false;
            }
            i = SkipWhiteSpace(json, i + 1);
            if (i >= json.Length || json[i] != (byte)'"')
            {
                return false;
            }
        }
    }

    /// <summary>The value of a known field, as <see cref="ReadValue"/> reads it.</summary>
    private static FieldValue PlainValue(ReadOnlySpan<byte> json, int start, int end, ValueKind kind, Field field, DecodeState state)
    {
        switch (kind)
        {
            case ValueKind.String:
                var text = json[(start + 1)..(end - 1)];
                if (field == Field.Timestamp && TryParseUtcFast(text, out var ticks))
                {
                    return new FieldValue(ValueKind.String, null, 0, Raw: null) { IsParsedTimestamp = true, Ticks = ticks };
                }
                var value = field is not (Field.Timestamp or Field.RequestId) && state.TryInternValue(field, text, out var shared)
                    ? shared
                    : Encoding.ASCII.GetString(text);
                return new FieldValue(ValueKind.String, value, 0, Raw: null);
            case ValueKind.Number:
                var number = json[start..end];
                return new FieldValue(ValueKind.Number, null, TryParsePlainNumber(number, out var plain) ? plain : GeneralNumber(number), Raw: null)
                {
                    RawStart = start,
                    RawLength = end - start,
                };
            case ValueKind.Boolean:
                return new FieldValue(ValueKind.Boolean, null, json[start] == (byte)'t' ? 1 : 0, Raw: null);
            default:
                return new FieldValue(ValueKind.Null, null, 0, Raw: null);
        }
    }

    /// <summary>A number the plain parser does not take (an exponent, many digits), read by the reader itself.</summary>
    private static double GeneralNumber(ReadOnlySpan<byte> number)
    {
        var reader = new Utf8JsonReader(number);
        reader.Read();
        return reader.TryGetDouble(out var value) ? value : double.NaN;
    }

    /// <summary>The first index from <paramref name="i"/> on that is not JSON white space (usually <paramref name="i"/>
    /// itself: routers print compact JSON).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhiteSpace(ReadOnlySpan<byte> json, int i) =>
        (uint)i < (uint)json.Length && json[i] > (byte)' ' ? i : SkipWhiteSpaceLoop(json, i);

    private static int SkipWhiteSpaceLoop(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }
        return i;
    }

    /// <summary>The index of the quote closing a string whose content starts at <paramref name="from"/>, or -1
    /// when the content has an escape, a control character or a non-ASCII byte (or no closing quote).</summary>
    private static int EndOfPlainString(ReadOnlySpan<byte> json, int from)
    {
        var length = json[from..].IndexOfAnyExcept(PlainStringBytes);
        return length >= 0 && json[from + length] == (byte)'"' ? from + length : -1;
    }

    /// <summary>The bytes a plain string holds as they are: printable ASCII (and DEL) but the quote and the backslash.</summary>
    private static readonly SearchValues<byte> PlainStringBytes = SearchValues.Create(
        Enumerable.Range(0x20, 0x80 - 0x20).Where(b => b is not ('"' or '\\')).Select(b => (byte)b).ToArray());

    /// <summary>The end of a number in JSON's grammar (<c>-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?</c>)
    /// starting at <paramref name="i"/>, or -1.</summary>
    private static int EndOfNumber(ReadOnlySpan<byte> json, int i)
    {
        if (json[i] == (byte)'-')
        {
            i++;
        }
        if (i >= json.Length || !IsDigit(json[i]))
        {
            return -1;
        }
        if (json[i] == (byte)'0')
        {
            i++;
        }
        else
        {
            i = SkipDigits(json, i);
        }
        if (i < json.Length && json[i] == (byte)'.')
        {
            var fraction = SkipDigits(json, i + 1);
            if (fraction == i + 1)
            {
                return -1;
            }
            i = fraction;
        }
        if (i < json.Length && json[i] is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }
            var exponent = SkipDigits(json, i);
            if (exponent == i)
            {
                return -1;
            }
            i = exponent;
        }
        return i;
    }

    private static int SkipDigits(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && IsDigit(json[i]))
        {
            i++;
        }
        return i;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    /// <summary>Whether a number or literal ending at <paramref name="i"/> is followed by what may follow a value
    /// in an object (the end of the message is not: the object is not closed).</summary>
    private static bool IsDelimiter(ReadOnlySpan<byte> json, int i) =>
        i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)',' or (byte)'}';
}
