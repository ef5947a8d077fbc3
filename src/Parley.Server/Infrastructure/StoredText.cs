using System.Text.Json;
using System.Text.Json.Serialization;

namespace Parley.Server.Infrastructure;

// Text Parley stores must be storable on every database: PostgreSQL's text cannot hold the NUL character, so a
// string containing it is refused where it is read, as a 400, on every JSON body and WebSocket frame alike.
internal static class StoredText
{
    public const string NulMessage = "Text may not contain the NUL character (\\u0000).";

    public static bool IsStorable(string? text) => text is null || !text.Contains('\0');

    // Reads JSON strings for request bodies, refusing NUL.
    public sealed class Converter : JsonConverter<string>
    {
        public override bool HandleNull => false;

        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString();
            return IsStorable(text) ? text : throw new JsonException(NulMessage);
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
