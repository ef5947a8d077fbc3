namespace Parley.Server.Streaming;

internal static class StreamingExtensions
{
    public static IServiceCollection AddParleyStreaming(this IServiceCollection services)
    {
        services.AddOptions<StreamingOptions>().BindConfiguration(StreamingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<LiveStreams>();
        services.AddSingleton<StreamEventStore>();
        services.AddSingleton<ReplyEventReader>();
        services.AddSingleton<StreamShutdown>();
        services.AddSingleton<EventFlusher>();
        return services;
    }
}
