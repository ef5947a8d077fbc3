namespace Parley.Server.Personas;

// The three built-in personas, then those from Parley:Personas (a list of {Id, Name, Description,
// SystemPrompt}). A configured persona with a built-in id replaces the built-in one.
internal sealed class PersonaCatalog
{
    public const string DefaultId = "assistant";

    private static readonly Persona[] BuiltIn =
    [
        new() { Id = "assistant", Name = "Assistant", Description = "A helpful general assistant.",
            SystemPrompt = "You are Parley, a helpful, honest and concise assistant. Answer clearly and say when you are unsure." },
        new() { Id = "teacher", Name = "Teacher", Description = "A patient teacher who explains step by step.",
            SystemPrompt = "You are a patient teacher. Explain ideas step by step, check understanding, and use simple examples." },
        new() { Id = "programmer", Name = "Programmer", Description = "A senior programming expert.",
            SystemPrompt = "You are a senior software engineer. Give correct, idiomatic code, explain trade-offs, and point out bugs and risks." },
    ];

    private readonly List<Persona> _all;

    public PersonaCatalog(IConfiguration configuration)
    {
        var configured = configuration.GetSection("Parley:Personas").Get<List<Persona>>() ?? [];
        foreach (var persona in configured)
        {
            if (string.IsNullOrWhiteSpace(persona.Id) || string.IsNullOrWhiteSpace(persona.SystemPrompt))
            {
                throw new InvalidOperationException("Each entry of Parley:Personas needs an Id and a SystemPrompt.");
            }
            if (string.IsNullOrWhiteSpace(persona.Name)) persona.Name = persona.Id;
        }
        var ids = configured.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        _all = [.. BuiltIn.Where(p => !ids.Contains(p.Id)), .. configured];
    }

    public IReadOnlyList<Persona> All => _all;

    public Persona? Find(string? id) => _all.FirstOrDefault(p => p.Id == id);
}
