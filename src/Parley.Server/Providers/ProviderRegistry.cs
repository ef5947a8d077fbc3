using System.ComponentModel.DataAnnotations;
using Parley.Server.Infrastructure;
using Parley.Server.Providers.OpenAi;

namespace Parley.Server.Providers;

// Reads Parley:Providers and Parley:Fallbacks (SPEC §7), plus the OPENAI_API_KEY / OPENAI_BASE_URL /
// OPENAI_MODEL shortcut, and builds one resilient model per configured model id. A bad entry stops the
// server at startup with a message that names the key. Base URLs come only from here, never from a request.
internal sealed class ProviderRegistry
{
    public const string Section = "Parley:Providers";
    public const string EnvProviderName = "openai";

    private readonly Dictionary<string, UpstreamProvider> _providerOfModel = new(StringComparer.Ordinal);

    public ProviderRegistry(IConfiguration configuration, ProviderChain providerChain, TimeProvider clock)
    {
        var configured = new Dictionary<string, ProviderOptions>(StringComparer.Ordinal);
        foreach (var section in configuration.GetSection(Section).GetChildren())
        {
            var options = new ProviderOptions();
            section.Bind(options);
            configured[section.Key] = options;
        }
        if (FromEnvironment(configuration) is { } fromEnv && !configured.ContainsKey(EnvProviderName)) configured[EnvProviderName] = fromEnv;

        foreach (var (name, options) in configured)
        {
            Validate(name, options);
            var provider = new UpstreamProvider(name, options,
                new OpenAiChatClient(name, options, NewHttpClient(options)),
                new CircuitBreaker(options.BreakerFailureThreshold, TimeSpan.FromSeconds(options.BreakerOpenSeconds), clock));
            foreach (var model in options.Models)
            {
                if (!_providerOfModel.TryAdd(model, provider))
                {
                    throw new InvalidOperationException($"{Section}:{name}:Models lists '{model}', which provider '{_providerOfModel[model].Name}' already serves.");
                }
            }
        }

        var fallbacks = ReadFallbacks(configuration.GetSection("Parley:Fallbacks"));
        foreach (var (model, chain) in fallbacks)
        {
            if (!_providerOfModel.ContainsKey(model)) throw new InvalidOperationException($"Parley:Fallbacks:{model} names a model no provider serves.");
            foreach (var fallback in chain.Where(f => !_providerOfModel.ContainsKey(f)))
            {
                throw new InvalidOperationException($"Parley:Fallbacks:{model} falls back to '{fallback}', which no provider serves.");
            }
        }

        Models = _providerOfModel.Select(pair =>
        {
            var route = new List<RouteStep> { new(pair.Key, pair.Value) };
            route.AddRange(fallbacks.GetValueOrDefault(pair.Key, []).Where(f => f != pair.Key).Select(f => new RouteStep(f, _providerOfModel[f])));
            return new ModelEntry(pair.Key, pair.Value.Name, pair.Key, pair.Value.Options.ContextWindow,
                new ResilientChatModel(pair.Key, route, providerChain), route);
        }).ToList();
    }

    public IReadOnlyList<ModelEntry> Models { get; }

    // Parley:Fallbacks maps a model id to a list of model ids. Model ids may contain ':' (Ollama's "qwen2.5:7b"),
    // which configuration reads as nesting, so the id is the path down to the first list found.
    private static Dictionary<string, List<string>> ReadFallbacks(IConfigurationSection root)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Walk(IConfigurationSection section, string path)
        {
            var children = section.GetChildren().ToList();
            if (children.Count > 0 && children.All(c => int.TryParse(c.Key, out _) && c.Value is not null))
            {
                result[path] = children.OrderBy(c => int.Parse(c.Key)).Select(c => c.Value!).Where(v => v.Length > 0).ToList();
                return;
            }
            foreach (var child in children) Walk(child, path.Length == 0 ? child.Key : path + ":" + child.Key);
        }
        Walk(root, "");
        return result;
    }

    // One connection pool per provider, kept for the life of the server. Timeouts are applied per call by
    // OpenAiChatClient, so the client-wide timeout is off; ConnectTimeout bounds the TCP and TLS handshake.
    private static HttpClient NewHttpClient(ProviderOptions options) => new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(options.ConnectTimeoutSeconds),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = System.Net.DecompressionMethods.All,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static ProviderOptions? FromEnvironment(IConfiguration configuration)
    {
        var key = configuration["OPENAI_API_KEY"];
        if (string.IsNullOrWhiteSpace(key)) return null;
        return new ProviderOptions
        {
            BaseUrl = configuration["OPENAI_BASE_URL"] is { Length: > 0 } url ? url : "https://api.openai.com/v1",
            ApiKey = key,
            Models = [configuration["OPENAI_MODEL"] is { Length: > 0 } model ? model : "gpt-4o-mini"],
        };
    }

    private static void Validate(string name, ProviderOptions options)
    {
        var prefix = $"{Section}:{name}";
        if (!string.Equals(options.Type, "openai", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{prefix}:Type is '{options.Type}'; the only supported type is 'openai' (any OpenAI-compatible server).");
        }
        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException($"{prefix}:BaseUrl must be an absolute http or https URL, such as https://api.openai.com/v1.");
        }
        if (options.Models.Count == 0 || options.Models.Any(string.IsNullOrWhiteSpace))
        {
            throw new InvalidOperationException($"{prefix}:Models must list at least one model id.");
        }
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            throw new InvalidOperationException($"{prefix}: " + string.Join(" ", results.Select(r => $"{string.Join(",", r.MemberNames)}: {r.ErrorMessage}")));
        }
    }
}
