// The official openai npm package, unchanged, against Parley's /v1 API with FakeLlm behind it.
// Started by the .NET suite (tests/Parley.Tests/OpenAiApi/NodeSdkTests.cs), which passes the server and keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run these tests through 'dotnet test'.`);
  return value;
};
const baseURL = env('PARLEY_V1');
const keys = env('PARLEY_KEYS').split(',');
const models = JSON.parse(env('PARLEY_MODELS'));
// One key per test: each key has its own request rate.
const client = (index) => new OpenAI({ baseURL, apiKey: keys[index], maxRetries: 0 });

test('non-streaming completion', async () => {
  const completion = await client(0).chat.completions.create({
    model: models.plain,
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello from node' }],
  });
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.model, models.plain);
  assert.equal(completion.choices[0].finish_reason, 'stop');
  assert.match(completion.choices[0].message.content, /^\[fake:2\] hello from node/);
  assert.ok(completion.usage.completion_tokens > 0);
});

test('streaming completion, with fields Parley does not interpret passed through', async () => {
  const stream = await client(1).chat.completions.create({
    model: models.plain,
    messages: [{ role: 'user', content: 'stream to node' }],
    stream: true,
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);

  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  assert.ok(chunks.filter((c) => c.choices[0]?.delta?.content).length > 5, 'text arrives in many chunks');
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  assert.ok(chunks.every((c) => c.choices.length > 0), 'no usage chunk unless asked for');
  // FakeLlm's own fields arrive unchanged.
  assert.ok(chunks.every((c) => c.system_fingerprint === 'fp_fakellm'));
  assert.ok(chunks.every((c) => typeof c.x_sent_ns === 'number'));
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.match(text, /^\[fake:1\] stream to node/);
});

test('streaming with usage', async () => {
  const stream = await client(2).chat.completions.create({
    model: models.plain,
    messages: [{ role: 'user', content: 'count for node' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.completion_tokens, 20);
  assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
});

test('tool call round trip', async () => {
  const openai = client(3);
  const tools = [{
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'The weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  }];
  const messages = [{ role: 'user', content: 'Weather in Paris?' }];

  const stream = await openai.chat.completions.create({ model: models.weather, messages, tools, tool_choice: 'auto', stream: true });
  const fragments = [];
  let finish = null;
  for await (const chunk of stream) {
    fragments.push(...(chunk.choices[0]?.delta?.tool_calls ?? []));
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(finish, 'tool_calls');
  assert.ok(fragments.length > 1, 'arguments arrive in fragments');
  assert.ok(fragments.every((f) => f.index === 0));
  assert.match(fragments[0].id, /^call_/);
  assert.equal(fragments[0].function.name, 'get_weather');
  const args = JSON.parse(fragments.map((f) => f.function?.arguments ?? '').join(''));
  assert.equal(args.city, 'Paris');

  const call = await openai.chat.completions.create({ model: models.weather, messages, tools });
  const toolCall = call.choices[0].message.tool_calls[0];
  assert.equal(call.choices[0].finish_reason, 'tool_calls');
  messages.push(call.choices[0].message, { role: 'tool', tool_call_id: toolCall.id, content: 'sunny and 21C' });
  const answer = await openai.chat.completions.create({ model: models.weather, messages, tools });
  assert.equal(answer.choices[0].finish_reason, 'stop');
  assert.match(answer.choices[0].message.content, /tool said: sunny and 21C/);
});

test('errors become the SDK error classes', async () => {
  const openai = client(4);
  const ask = (options, sdk = openai) =>
    sdk.chat.completions.create({ model: models.plain, messages: [{ role: 'user', content: 'hi' }], ...options });

  await assert.rejects(ask({ n: 2 }), (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'n');
  await assert.rejects(ask({}, new OpenAI({ baseURL, apiKey: 'pk_wrong', maxRetries: 0 })),
    (e) => e instanceof OpenAI.AuthenticationError && e.code === 'invalid_api_key');
  await assert.rejects(ask({ model: 'no-such-model' }), (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
  await assert.rejects(ask({ model: models.throttled }),
    (e) => e instanceof OpenAI.RateLimitError && e.status === 429 && Number(e.headers.get('retry-after')) > 0);
});
