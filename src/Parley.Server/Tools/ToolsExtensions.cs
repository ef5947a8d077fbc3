namespace Parley.Server.Tools;

internal static class ToolsExtensions
{
    public static IServiceCollection AddParleyTools(this IServiceCollection services)
    {
        services.AddSingleton<IServerTool, CurrentTimeTool>();
        services.AddSingleton<IServerTool, CalculatorTool>();
        services.AddSingleton<ToolRegistry>();
        return services;
    }
}
