using Parley.Server.Auth;
using Parley.Server.Generation;
using Parley.Server.Health;
using Parley.Server.Infrastructure;
using Parley.Server.Messages;
using Parley.Server.Personas;
using Parley.Server.Providers;
using Parley.Server.Sessions;
using Parley.Server.Storage;
using Parley.Server.Streaming;

var builder = WebApplication.CreateBuilder(args);
builder.UseParleyHosting();

builder.Services
    .AddParleyErrors()
    .AddParleyStorage(builder.Configuration)
    .AddParleyAuth()
    .AddParleyModels()
    .AddParleyConversations()
    .AddParleyStreaming()
    .AddParleyGeneration();

var app = builder.Build();

// The schema is brought up to date before the server takes any request.
await app.MigrateDatabaseAsync();

app.UseParleyErrors();
app.UseParleyAuth();

app.MapHealth();
app.MapAuth();
app.MapKeys();
app.MapPersonas();
app.MapModels();
app.MapSessions();
app.MapMessages();
app.MapStreaming();

app.Run();

public partial class Program;
