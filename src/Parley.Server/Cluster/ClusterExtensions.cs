using Microsoft.Extensions.Options;

namespace Parley.Server.Cluster;

internal static class ClusterExtensions
{
    public static IServiceCollection AddParleyCluster(this IServiceCollection services)
    {
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ClusterNotifier>();
        services.AddHostedService<ClusterListener>();
        return services;
    }

    // A worker-only node serves no clients: only the health endpoints answer, so a load balancer can check it.
    public static WebApplication UseParleyNodeRoles(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.IsApi) return app;
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/health")) await next(context);
            else context.Response.StatusCode = StatusCodes.Status404NotFound;
        });
        return app;
    }
}
