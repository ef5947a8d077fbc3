using Parley.Server.Personas;

namespace Parley.Server.Messages;

internal static class ConversationExtensions
{
    public static IServiceCollection AddParleyConversations(this IServiceCollection services)
    {
        services.AddSingleton<PersonaCatalog>();
        services.AddScoped<ReplyScheduler>();
        services.AddSingleton<UserLimits>();
        services.AddSingleton<UserSendGate>();
        services.AddScoped<ReplyCanceller>();
        services.AddScoped<ConversationEraser>();
        return services;
    }
}
