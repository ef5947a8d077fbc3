import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from '../src/sse.js';

test('parses whole events with id, event name and data', () => {
  const parser = new SseParser();
  const events = parser.feed('id: 1\nevent: delta\ndata: {"seq":1,"content":"Hi"}\n\n');
  assert.deepEqual(events, [{ event: 'delta', data: '{"seq":1,"content":"Hi"}', id: '1' }]);
});

test('joins events split across chunks at any byte, including inside CRLF', () => {
  const text = 'id: 1\r\nevent: delta\r\ndata: {"content":"a"}\r\n\r\nevent: status\r\ndata: {"status":"generating"}\r\n\r\n';
  for (let cut = 1; cut < text.length; cut++) {
    const parser = new SseParser();
    const events = [...parser.feed(text.slice(0, cut)), ...parser.feed(text.slice(cut))];
    assert.equal(events.length, 2, `cut at ${cut}`);
    assert.equal(events[0].id, '1');
    assert.equal(events[1].event, 'status');
    assert.equal(events[1].id, null);
  }
});

test('ignores keep-alive comments and joins multi-line data', () => {
  const parser = new SseParser();
  const events = parser.feed(': keep-alive\n\ndata: one\ndata: two\n\n');
  assert.deepEqual(events, [{ event: 'message', data: 'one\ntwo', id: null }]);
});

test('an event without its blank line is held back until it arrives', () => {
  const parser = new SseParser();
  assert.deepEqual(parser.feed('id: 3\nevent: done\ndata: {}\n'), []);
  assert.equal(parser.feed('\n').length, 1);
});
