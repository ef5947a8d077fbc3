using Microsoft.Extensions.Options;

namespace Parley.Server.Generation;

internal static class GenerationExtensions
{
    public static IServiceCollection AddParleyGeneration(this IServiceCollection services)
    {
        services.AddOptions<GenerationOptions>().BindConfiguration(GenerationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ContextOptions>().BindConfiguration(ContextOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ReplySignal>();
        services.AddSingleton<ReplyCancellations>();
        services.AddSingleton<ReplyJobQueue>();
        services.AddSingleton<ReplyLifecycle>();
        services.AddSingleton<ContextBuilder>();
        services.AddSingleton<SessionTitler>();
        services.AddScoped<ReplyGenerator>();
        services.AddSingleton<ReplyWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<ReplyWorker>());

        // The host must wait for the grace period and the hand-back that follows it.
        services.AddOptions<HostOptions>().Configure<IOptions<GenerationOptions>>((host, generation) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(generation.Value.ShutdownGraceSeconds + 15));
        return services;
    }
}
