import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followReply } from '../src/replyStream.js';

// A fake server holding one reply's events. Each connection serves the events after Last-Event-ID and may
// drop the connection after a few of them, as a flaky network does.
function fakeServer(events, dropAfter = []) {
  const requests = [];
  const fetchImpl = async (url, { headers }) => {
    const after = Number(headers['Last-Event-ID'] ?? 0);
    requests.push({ url, after });
    const limit = dropAfter[requests.length - 1] ?? Infinity;
    const chosen = events.filter(e => e.seq > after).slice(0, limit);
    const encoder = new TextEncoder();
    const pieces = chosen.flatMap(e => {
      const frame = `id: ${e.seq}\nevent: ${e.kind}\ndata: ${JSON.stringify({ seq: e.seq, ...e.data })}\n\n`;
      // Every frame in two pieces, to exercise partial reads.
      return [frame.slice(0, 7), frame.slice(7)];
    });
    const dropped = chosen.length < events.filter(e => e.seq > after).length;
    // Pull-based, so every piece is read before the connection "drops".
    const body = new ReadableStream({
      pull(controller) {
        if (pieces.length > 0) controller.enqueue(encoder.encode(pieces.shift()));
        else if (dropped) controller.error(new TypeError('network error'));
        else controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };
  return { fetchImpl, requests };
}

const reply = [
  { seq: 1, kind: 'delta', data: { content: 'One ' } },
  { seq: 2, kind: 'delta', data: { content: 'two ' } },
  { seq: 3, kind: 'delta', data: { content: 'three ' } },
  { seq: 4, kind: 'delta', data: { content: 'four.' } },
  { seq: 5, kind: 'done', data: { status: 'complete', finishReason: 'stop', usage: null, error: null } },
];

test('a dropped connection resumes with Last-Event-ID and the text is neither lost nor doubled', async () => {
  const server = fakeServer(reply, [2, 1]);
  const connections = [];
  const state = await followReply('msg_1', { fetchImpl: server.fetchImpl, retryDelays: [1], onConnection: c => connections.push(c) });
  assert.equal(state.text, 'One two three four.');
  assert.equal(state.status, 'complete');
  assert.deepEqual(server.requests.map(r => r.after), [0, 2, 3]);
  assert.ok(connections.includes('reconnecting'));
  assert.equal(server.requests[0].url, '/api/messages/msg_1/stream');
});

test('a stream that ends without done is resumed, not taken as finished', async () => {
  const server = fakeServer(reply, [4]);
  const state = await followReply('msg_2', { fetchImpl: server.fetchImpl, retryDelays: [1] });
  assert.equal(state.done, true);
  assert.equal(state.text, 'One two three four.');
  assert.deepEqual(server.requests.map(r => r.after), [0, 4]);
});

test('a 404 is not retried', async () => {
  let calls = 0;
  const fetchImpl = async () => { calls++; return new Response('{}', { status: 404 }); };
  await assert.rejects(followReply('gone', { fetchImpl, retryDelays: [1] }), error => error.status === 404);
  assert.equal(calls, 1);
});
