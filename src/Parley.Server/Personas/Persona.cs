namespace Parley.Server.Personas;

internal sealed class Persona
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    public string SystemPrompt { get; set; } = "";
}

internal sealed record PersonaDto(string Id, string Name, string Description, string SystemPrompt);
