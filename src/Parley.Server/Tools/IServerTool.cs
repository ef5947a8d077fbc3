using System.Text.Json;

namespace Parley.Server.Tools;

// A tool that runs inside Parley when a model asks for it (SPEC §8). Register an implementation with
// services.AddSingleton<IServerTool, MyTool>() and list its name in Parley:Tools:Enabled.
public interface IServerTool
{
    string Name { get; }

    string Description { get; }

    // The JSON Schema of the arguments object.
    JsonElement Parameters { get; }

    // Returns the result the model will read. Throwing is fine: the error becomes the tool's result.
    Task<string> InvokeAsync(JsonElement arguments, CancellationToken ct);
}
