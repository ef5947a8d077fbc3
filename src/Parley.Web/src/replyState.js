// The resume bookkeeping of one streamed reply. It applies Parley's stream events (SPEC §6) in order and
// remembers the last sequence number, so a reconnect asks for exactly the events after it: an event at or
// below that number (a replay after a reconnect) is ignored, which is what keeps text from doubling.
export class ReplyState {
  constructor(messageId) {
    this.messageId = messageId;
    this.lastSeq = 0;
    this.text = '';
    // The server-side tools the reply ran, in order: { id, name, arguments, result, error }.
    this.tools = [];
    this.status = 'queued';
    this.finishReason = null;
    this.usage = null;
    this.error = null;
    this.done = false;
  }

  // Applies one parsed SSE event ({ event, data, id }); returns true when the visible reply changed.
  apply(sseEvent) {
    let payload;
    try {
      payload = JSON.parse(sseEvent.data);
    } catch {
      return false;
    }
    if (sseEvent.event === 'status') {
      if (this.done || payload.status === this.status) return false;
      this.status = payload.status;
      return true;
    }
    const seq = Number(sseEvent.id ?? payload.seq);
    if (!Number.isFinite(seq) || seq <= this.lastSeq || this.done) return false;
    this.lastSeq = seq;
    switch (sseEvent.event) {
      case 'delta':
        this.text += payload.content ?? '';
        this.status = 'generating';
        return true;
      case 'reset':
        this.text = '';
        this.tools = [];
        return true;
      case 'tool':
        this.tools = [...this.tools, { ...payload.call, result: payload.result ?? null, error: payload.error ?? null }];
        return true;
      case 'done':
        this.done = true;
        this.status = payload.status;
        this.finishReason = payload.finishReason ?? null;
        this.usage = payload.usage ?? null;
        this.error = payload.error ?? null;
        return true;
      default:
        return false;
    }
  }

  // Where to resume: the stream's Last-Event-ID.
  get resumeFrom() {
    return this.lastSeq;
  }
}

export const finishedStatuses = new Set(['complete', 'cancelled', 'error']);
