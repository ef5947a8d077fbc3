namespace Parley.Server.Web;

// Bundled assets carry a content hash in their names, so they never change and may be cached for good;
// index.html names the current ones, so it is revalidated on every load.
internal static class CacheHeaders
{
    public const string AssetsPath = "/assets/";

    public static void Apply(HttpContext context)
    {
        context.Response.Headers.CacheControl = context.Request.Path.StartsWithSegments(AssetsPath.TrimEnd('/'))
            ? "public, max-age=31536000, immutable"
            : "no-cache";
    }
}
