using Parley.Server.Providers.Demo;

namespace Parley.Server.Providers;

internal static class ProviderExtensions
{
    public static IServiceCollection AddParleyModels(this IServiceCollection services)
    {
        services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<DemoChatModel>();
        services.AddSingleton<ProviderChain>();
        services.AddSingleton<ProviderRegistry>();
        services.AddSingleton<ModelCatalog>();
        services.AddOptions<ToolsOptions>().BindConfiguration(ToolsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }
}
