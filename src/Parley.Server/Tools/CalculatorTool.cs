using System.Globalization;
using System.Text.Json;

namespace Parley.Server.Tools;

// Evaluates arithmetic: + - * / % ^, parentheses, unary minus and decimals. A small parser, not an
// expression engine: there is nothing to call and nothing to inject.
internal sealed class CalculatorTool : IServerTool
{
    public string Name => "calculator";

    public string Description => "Evaluates an arithmetic expression with + - * / % ^ and parentheses, e.g. (2+3)*4^2.";

    public JsonElement Parameters { get; } = JsonDocument.Parse("""
        {"type":"object","properties":{"expression":{"type":"string","description":"The expression to evaluate"}},"required":["expression"],"additionalProperties":false}
        """).RootElement;

    public Task<string> InvokeAsync(JsonElement arguments, CancellationToken ct)
    {
        if (arguments.ValueKind != JsonValueKind.Object || !arguments.TryGetProperty("expression", out var e) || e.ValueKind != JsonValueKind.String)
        {
            throw new ArgumentException("The argument 'expression' (a string) is required.");
        }
        var value = Evaluate(e.GetString()!);
        return Task.FromResult(value.ToString("G15", CultureInfo.InvariantCulture));
    }

    public static double Evaluate(string expression)
    {
        if (expression.Length > 1000) throw new ArgumentException("The expression is too long.");
        var parser = new Parser(expression);
        var value = parser.ParseExpression();
        parser.SkipSpaces();
        if (!parser.AtEnd) throw new FormatException($"Unexpected '{parser.Current}' at position {parser.Position + 1}.");
        if (double.IsNaN(value) || double.IsInfinity(value)) throw new ArithmeticException("The result is not a finite number.");
        return value;
    }

    private sealed class Parser(string text)
    {
        private int _depth;
        public int Position { get; private set; }
        public bool AtEnd => Position >= text.Length;
        public char Current => text[Position];

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(Current)) Position++;
        }

        public double ParseExpression()
        {
            var value = ParseTerm();
            while (true)
            {
                SkipSpaces();
                if (AtEnd) return value;
                if (Current == '+') { Position++; value += ParseTerm(); }
                else if (Current == '-') { Position++; value -= ParseTerm(); }
                else return value;
            }
        }

        private double ParseTerm()
        {
            var value = ParsePower();
            while (true)
            {
                SkipSpaces();
                if (AtEnd) return value;
                var op = Current;
                if (op is not ('*' or '/' or '%')) return value;
                Position++;
                var right = ParsePower();
                if (op != '*' && right == 0) throw new DivideByZeroException("Division by zero.");
                value = op switch { '*' => value * right, '/' => value / right, _ => value % right };
            }
        }

        private double ParsePower()
        {
            var value = ParseUnary();
            SkipSpaces();
            if (!AtEnd && Current == '^')
            {
                Position++;
                return Math.Pow(value, ParsePower()); // right-associative
            }
            return value;
        }

        private double ParseUnary()
        {
            SkipSpaces();
            if (!AtEnd && Current == '-') { Position++; return -ParseUnary(); }
            if (!AtEnd && Current == '+') { Position++; return ParseUnary(); }
            return ParseAtom();
        }

        private double ParseAtom()
        {
            SkipSpaces();
            if (AtEnd) throw new FormatException("The expression ends too early.");
            if (Current == '(')
            {
                if (++_depth > 100) throw new FormatException("Too many nested parentheses.");
                Position++;
                var value = ParseExpression();
                SkipSpaces();
                if (AtEnd || Current != ')') throw new FormatException("A ')' is missing.");
                Position++;
                _depth--;
                return value;
            }
            var start = Position;
            while (!AtEnd && (char.IsDigit(Current) || Current == '.')) Position++;
            if (start == Position) throw new FormatException($"Unexpected '{Current}' at position {Position + 1}.");
            return double.Parse(text.AsSpan(start, Position - start), NumberStyles.Float, CultureInfo.InvariantCulture);
        }
    }
}
