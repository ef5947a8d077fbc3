import { SseParser } from './sse.js';
import { ReplyState } from './replyState.js';

// Follows one reply's SSE stream until its `done` event, reconnecting with Last-Event-ID whenever the
// connection drops, so a flaky network neither loses nor repeats text. Cookies carry the credentials.
export async function followReply(messageId, { onChange, onConnection, signal, fetchImpl = fetch, retryDelays = [500, 1000, 2000, 4000, 8000] }) {
  const state = new ReplyState(messageId);
  let failures = 0;
  while (!state.done) {
    if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
    try {
      const headers = { Accept: 'text/event-stream' };
      if (state.resumeFrom > 0) headers['Last-Event-ID'] = String(state.resumeFrom);
      const response = await fetchImpl(`/api/messages/${encodeURIComponent(messageId)}/stream`, { headers, signal, cache: 'no-store' });
      if (!response.ok) {
        const error = new Error(`stream answered ${response.status}`);
        error.status = response.status;
        error.response = response;
        throw error;
      }
      if (failures > 0) onConnection?.('online');
      failures = 0;
      await readEvents(response, state, onChange);
      if (!state.done) throw new Error('stream ended before done');
    } catch (error) {
      if (signal?.aborted) throw error;
      // 4xx other than 429 will not get better by retrying (gone, signed out).
      if (error.status && error.status !== 429 && error.status < 500) throw error;
      onConnection?.('reconnecting', failures);
      const delay = retryDelays[Math.min(failures, retryDelays.length - 1)];
      failures++;
      await sleep(delay, signal);
      if (failures > retryDelays.length * 3) {
        onConnection?.('offline');
        await waitForOnline(signal);
        failures = 0;
      }
    }
  }
  return state;
}

async function readEvents(response, state, onChange) {
  const parser = new SseParser();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    let changed = false;
    for (const event of parser.feed(value)) changed = state.apply(event) || changed;
    if (changed) onChange?.(state);
    if (state.done) {
      await reader.cancel().catch(() => {});
      return;
    }
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

function waitForOnline(signal) {
  if (typeof navigator === 'undefined' || navigator.onLine) return sleep(10000, signal);
  return new Promise(resolve => window.addEventListener('online', resolve, { once: true }));
}
