using Parley.Server.Admin;
using Parley.Server.Auth;
using Parley.Server.Cluster;
using Parley.Server.Generation;
using Parley.Server.Health;
using Parley.Server.Infrastructure;
using Parley.Server.Messages;
using Parley.Server.OpenAiApi;
using Parley.Server.Personas;
using Parley.Server.Providers;
using Parley.Server.Realtime;
using Parley.Server.Sessions;
using Parley.Server.Storage;
using Parley.Server.Streaming;
using Parley.Server.Tools;
using Parley.Server.Usage;
using Parley.Server.Web;

var builder = WebApplication.CreateBuilder(HostingExtensions.WithoutConfigurationWatching(args));
builder.UseParleyHosting();

builder.Services
    .AddParleyErrors()
    .AddParleyCors(builder.Configuration)
    .AddParleyForwardedHeaders(builder.Configuration)
    .AddParleyStorage(builder.Configuration)
    // Node roles, and on PostgreSQL the notifications that carry wake-ups and cancels between nodes.
    .AddParleyCluster()
    .AddParleyAuth()
    .AddParleyModels()
    .AddParleyTools()
    .AddParleyConversations()
    .AddParleyStreaming()
    .AddParleyRealtime()
    .AddParleyOpenAiApi()
    .AddParleyGeneration()
    .AddParleyWeb();

var app = builder.Build();

// The schema is brought up to date, and the provider configuration checked, before the server takes any request.
await app.MigrateDatabaseAsync();
app.Services.GetRequiredService<ModelCatalog>();

// Behind a TLS-terminating proxy, its X-Forwarded-Proto/For when Parley:Hosting:TrustForwardedHeaders is on.
app.UseParleyForwardedHeaders(app.Configuration);
app.UseParleyErrors();
// A worker-only node answers nothing but /health.
app.UseParleyNodeRoles();
// Cross-origin browser calls only from Parley:Cors:AllowedOrigins, which is empty by default.
app.UseParleyCors();
// Security headers on every response, then the UI's static files, which need no sign-in.
app.UseParleyWeb();
// WebSocket upgrades for /ws, with protocol-level pings configured by AddParleyRealtime.
app.UseWebSockets();
app.UseParleyAuth();

app.MapHealth();
app.MapAuth();
app.MapKeys();
app.MapAdmin();
app.MapPersonas();
app.MapModels();
app.MapSessions();
app.MapMessages();
app.MapStreaming();
app.MapRealtime();
app.MapUsage();
app.MapOpenAiApi();
// Last: every other page path loads the UI.
app.MapParleyWeb();

app.Run();

public partial class Program;
