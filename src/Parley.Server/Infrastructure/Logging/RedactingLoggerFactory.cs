using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Parley.Server.Infrastructure.Logging;

// Every logger the application gets masks secrets before any provider sees the entry: the message, each
// structured value and the exception text. Wrapping the factory, not a provider, means a provider added later
// (an OpenTelemetry exporter, a test's capture) can never receive the raw text.
internal sealed class RedactingLoggerFactory(ILoggerFactory inner, Redactor redactor) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), redactor);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    public static void Register(IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp => new RedactingLoggerFactory(
            ActivatorUtilities.CreateInstance<LoggerFactory>(sp), Redactor.FromConfiguration(sp.GetRequiredService<IConfiguration>()))));
    }

    private sealed class RedactingLogger(ILogger inner, Redactor redactor) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel)) return;
            var message = redactor.Redact(formatter(state, exception));
            var values = state as IReadOnlyList<KeyValuePair<string, object?>>;
            var redacted = new RedactedState(message, values?.Select(v => new KeyValuePair<string, object?>(v.Key,
                v.Value is string or Uri ? redactor.Redact(v.Value.ToString()!) : v.Value)).ToList() ?? []);
            var safeException = exception is null ? null : new RedactedException(exception, redactor);
            inner.Log(logLevel, eventId, redacted, safeException, static (s, _) => s.Message);
        }
    }

    // The entry as providers see it: the masked message, and masked values under the original names.
    private sealed class RedactedState(string message, List<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;
        public KeyValuePair<string, object?> this[int index] => values[index];
        public int Count => values.Count;
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        public override string ToString() => Message;
    }

    // Stands in for an exception: the same type name, message and stack trace, with secrets masked.
    private sealed class RedactedException(Exception original, Redactor redactor) : Exception(redactor.Redact(original.Message))
    {
        private readonly string _text = redactor.Redact(original.ToString());

        public override string? StackTrace => null;

        public override string ToString() => _text;
    }
}
