// An incremental parser for text/event-stream (the WHATWG rules Parley's server relies on): feed it decoded
// text in arbitrary slices, get whole events back. Comments (": keep-alive") produce nothing.
export class SseParser {
  #buffer = '';
  #event = '';
  #data = [];
  #id = null;

  // Returns the events completed by this chunk, each { event, data, id } (id is null when the event had none).
  feed(chunk) {
    this.#buffer += chunk;
    const events = [];
    let start = 0;
    for (;;) {
      const newline = this.#buffer.slice(start).search(/\r\n|\r|\n/);
      if (newline < 0) break;
      const end = start + newline;
      // A lone '\r' at the very end may be the first half of '\r\n'; wait for the next chunk to tell.
      if (this.#buffer[end] === '\r' && end + 1 === this.#buffer.length) break;
      const line = this.#buffer.slice(start, end);
      start = end + (this.#buffer.startsWith('\r\n', end) ? 2 : 1);
      const event = this.#line(line);
      if (event) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  #line(line) {
    if (line === '') {
      if (this.#data.length === 0 && this.#event === '') return null;
      const event = { event: this.#event || 'message', data: this.#data.join('\n'), id: this.#id };
      this.#event = '';
      this.#data = [];
      this.#id = null;
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
    return null;
  }
}
