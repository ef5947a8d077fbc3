using System.Text;

namespace Parley.Server.Sessions;

// Keyset pagination over (updatedAt desc, id desc): stable while sessions are added, and each page is one
// index range scan however deep the client pages.
internal sealed record SessionCursor(DateTime UpdatedAt, string Id)
{
    public string Encode() =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{UpdatedAt.Ticks}:{Id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static SessionCursor? TryDecode(string value)
    {
        try
        {
            var base64 = value.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(base64));
            var colon = text.IndexOf(':');
            if (colon <= 0 || !long.TryParse(text[..colon], out var ticks) || ticks < 0 || ticks > DateTime.MaxValue.Ticks) return null;
            return new SessionCursor(new DateTime(ticks, DateTimeKind.Utc), text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
