import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplyState } from '../src/replyState.js';

const delta = (seq, content) => ({ event: 'delta', id: String(seq), data: JSON.stringify({ seq, content }) });
const done = (seq, status = 'complete') => ({ event: 'done', id: String(seq), data: JSON.stringify({ seq, status, finishReason: 'stop', usage: null, error: null }) });

test('deltas accumulate and the last sequence number is remembered for resuming', () => {
  const state = new ReplyState('msg_1');
  state.apply(delta(1, 'Hel'));
  state.apply(delta(2, 'lo'));
  assert.equal(state.text, 'Hello');
  assert.equal(state.resumeFrom, 2);
  assert.equal(state.status, 'generating');
});

test('events replayed after a reconnect are not applied twice', () => {
  const state = new ReplyState('msg_1');
  state.apply(delta(1, 'a'));
  state.apply(delta(2, 'b'));
  // A server that resends from the start (or an overlapping resume) must not double the text.
  assert.equal(state.apply(delta(1, 'a')), false);
  assert.equal(state.apply(delta(2, 'b')), false);
  state.apply(delta(3, 'c'));
  assert.equal(state.text, 'abc');
});

test('reset drops what was shown; later deltas start the reply over', () => {
  const state = new ReplyState('msg_1');
  state.apply(delta(1, 'first try'));
  state.apply({ event: 'reset', id: '2', data: JSON.stringify({ seq: 2, reason: 'restart' }) });
  assert.equal(state.text, '');
  state.apply(delta(3, 'second'));
  assert.equal(state.text, 'second');
});

test('done ends the reply with its status, and nothing after it counts', () => {
  const state = new ReplyState('msg_1');
  state.apply(delta(1, 'partial'));
  state.apply(done(2, 'cancelled'));
  assert.equal(state.done, true);
  assert.equal(state.status, 'cancelled');
  assert.equal(state.apply(delta(3, 'late')), false);
  assert.equal(state.text, 'partial');
});

test('status events (no id) change the status without moving the resume point', () => {
  const state = new ReplyState('msg_1');
  assert.equal(state.apply({ event: 'status', id: null, data: '{"status":"generating"}' }), true);
  assert.equal(state.status, 'generating');
  assert.equal(state.resumeFrom, 0);
});

test('tool events are kept in order with their results, and a reset drops them with the text', () => {
  const state = new ReplyState('msg_1');
  const tool = (seq, name, result) => ({ event: 'tool', id: String(seq), data: JSON.stringify({ seq, call: { id: `call_${seq}`, name, arguments: '{}' }, result, error: null }) });
  assert.equal(state.apply(tool(1, 'calculator', '20')), true);
  state.apply(delta(2, 'It is 20.'));
  assert.deepEqual(state.tools, [{ id: 'call_1', name: 'calculator', arguments: '{}', result: '20', error: null }]);
  assert.equal(state.apply(tool(1, 'calculator', '20')), false);
  assert.equal(state.tools.length, 1);

  state.apply({ event: 'reset', id: '3', data: JSON.stringify({ seq: 3, reason: 'restart' }) });
  assert.deepEqual(state.tools, []);
  state.apply(tool(4, 'get_current_time', '2026-12-07T22:00:00Z'));
  assert.deepEqual(state.tools.map(t => t.name), ['get_current_time']);
});
