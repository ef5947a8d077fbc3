namespace Parley.Server.Web;

// Matches the paths the page answers: not the API's, and not file names (a missing /assets/x.js is a 404,
// not the page served as script).
internal sealed class PagePathConstraint : IRouteConstraint
{
    public const string Name = "page";

    private static readonly string[] ApiPrefixes = ["api", "v1", "ws", "health"];

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection)
    {
        var path = values.TryGetValue(routeKey, out var value) ? value?.ToString() ?? "" : "";
        var first = path.Split('/', 2)[0];
        if (ApiPrefixes.Any(p => string.Equals(first, p, StringComparison.OrdinalIgnoreCase))) return false;
        var last = path[(path.LastIndexOf('/') + 1)..];
        return !last.Contains('.');
    }
}
