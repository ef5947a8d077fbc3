import { api, ApiError, describeError, describeReplyError } from './api.js';
import { h, setText } from './dom.js';
import { t } from './i18n.js';
import { followReply } from './replyStream.js';
import { finishedStatuses } from './replyState.js';

const running = new Set(['queued', 'generating']);

// The conversation of one session and the input box. It owns at most one running reply at a time: the one it
// streams. Leaving the session aborts only the stream; the reply keeps going on the server.
export class ChatView {
  constructor({ markdown, ensureSession, onActivity }) {
    this.markdown = markdown;
    this.ensureSession = ensureSession;
    this.onActivity = onActivity;
    this.sessionId = null;
    this.messages = new Map();
    this.active = null;
    this.stickToBottom = true;
    this.pendingSend = null;

    this.list = h('div', { class: 'messages' });
    this.emptyState = h('div', { class: 'empty-state' }, h('h2', { i18n: 'emptyTitle' }), h('p', { class: 'hint', i18n: 'emptyHint' }));
    this.earlier = h('button', { type: 'button', class: 'secondary small load-earlier', i18n: 'loadEarlier', hidden: true, on: { click: () => this.loadEarlier() } });
    this.conversation = h('div', { class: 'conversation', role: 'log', i18nAria: 'conversation', tabIndex: 0 }, this.emptyState, this.earlier, this.list);
    this.conversation.addEventListener('scroll', () => this.onScroll());
    this.conversation.addEventListener('click', event => this.onConversationClick(event));
    this.jump = h('button', { type: 'button', class: 'jump-button', i18nAria: 'scrollToBottom', i18nTitle: 'scrollToBottom', text: '↓', hidden: true,
      on: { click: () => this.scrollToBottom(true) } });

    this.noticeText = h('span', { class: 'notice-text' });
    this.noticeRetry = h('button', { type: 'button', class: 'secondary notice-retry', i18n: 'retry', hidden: true });
    this.notice = h('div', { class: 'notice', role: 'alert', hidden: true }, this.noticeText, this.noticeRetry);

    this.input = h('textarea', { class: 'composer-input', rows: 1, i18nAria: 'messageLabel', i18nPlaceholder: 'messagePlaceholder', maxLength: 32000,
      on: { keydown: event => this.onKeyDown(event), input: () => this.onInput() } });
    this.sendButton = h('button', { type: 'submit', class: 'primary send-button', i18n: 'send', disabled: true });
    this.stopButton = h('button', { type: 'button', class: 'danger stop-button', i18n: 'stop', hidden: true, on: { click: () => this.stop() } });
    this.form = h('form', { class: 'composer', on: { submit: event => { event.preventDefault(); this.send(); } } },
      this.input, this.stopButton, this.sendButton);
    this.typingStatus = h('div', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });

    this.element = h('section', { class: 'chat' }, this.conversation, this.jump, this.notice, this.form, this.typingStatus);
  }

  // Shows a session (or the empty draft when id is null), streaming any reply that is still running.
  async open(sessionId) {
    this.leave();
    this.sessionId = sessionId;
    this.messages.clear();
    this.list.replaceChildren();
    this.hideNotice();
    this.stickToBottom = true;
    this.emptyState.hidden = sessionId !== null;
    this.earlier.hidden = true;
    if (sessionId === null) {
      this.updateControls();
      return;
    }
    try {
      const page = await api(`/api/sessions/${encodeURIComponent(sessionId)}/messages?limit=200`);
      if (this.sessionId !== sessionId) return;
      this.emptyState.hidden = page.items.length > 0;
      this.earlier.hidden = !page.hasMore;
      for (const message of page.items) this.appendMessage(message);
      this.scrollToBottom(true);
      const last = page.items.at(-1);
      if (last?.role === 'assistant' && running.has(last.status)) this.follow(last);
    } catch (error) {
      if (this.sessionId === sessionId) this.showError(error, () => this.open(sessionId));
    }
    this.updateControls();
  }

  // Older messages of a long conversation, put above the ones shown without moving what the reader sees.
  async loadEarlier() {
    const first = this.messages.values().next().value;
    if (!first || !this.sessionId) return;
    const sessionId = this.sessionId;
    try {
      const page = await api(`/api/sessions/${encodeURIComponent(sessionId)}/messages?limit=100&before=${encodeURIComponent(first.message.id)}`);
      if (this.sessionId !== sessionId) return;
      const fromBottom = this.conversation.scrollHeight - this.conversation.scrollTop;
      const anchor = this.list.firstChild;
      const shown = [...this.messages.entries()];
      this.messages.clear();
      for (const message of page.items) this.list.insertBefore(this.appendMessage(message).element, anchor);
      for (const [id, entry] of shown) this.messages.set(id, entry);
      this.earlier.hidden = !page.hasMore;
      this.conversation.scrollTop = this.conversation.scrollHeight - fromBottom;
    } catch (error) {
      this.showError(error, () => this.loadEarlier());
    }
  }

  leave() {
    this.active?.abort.abort();
    this.active = null;
  }

  focusInput() {
    this.input.focus();
  }

  // Enter sends; Shift+Enter (and IME composition) inserts a new line.
  onKeyDown(event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    }
  }

  onInput() {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 240)}px`;
    this.updateControls();
  }

  updateControls() {
    const busy = this.active !== null;
    this.sendButton.disabled = busy || this.input.value.trim() === '';
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    this.conversation.setAttribute('aria-busy', String(busy));
    for (const button of this.list.querySelectorAll('.regenerate')) button.hidden = true;
    const last = [...this.messages.values()].at(-1);
    if (!busy && last?.message.role === 'assistant') last.element.querySelector('.regenerate').hidden = false;
  }

  async send() {
    const text = this.input.value;
    if (this.active || text.trim() === '') return;
    // A retry of the same text reuses its clientMessageId, so a send that did reach the server is not doubled.
    const pending = this.pendingSend?.text === text ? this.pendingSend : { text, clientMessageId: crypto.randomUUID() };
    this.pendingSend = pending;
    this.hideNotice();
    this.sendButton.disabled = true;
    try {
      const sessionId = await this.ensureSession();
      const pair = await api(`/api/sessions/${encodeURIComponent(sessionId)}/messages`, {
        method: 'POST', body: { content: text, clientMessageId: pending.clientMessageId },
      });
      this.pendingSend = null;
      this.input.value = '';
      this.onInput();
      this.emptyState.hidden = true;
      this.stickToBottom = true;
      this.appendMessage(pair.userMessage);
      this.appendMessage(pair.assistantMessage);
      this.scrollToBottom(true);
      this.onActivity(sessionId);
      this.follow(pair.assistantMessage);
    } catch (error) {
      this.showError(error, () => this.send());
      this.updateControls();
    }
  }

  async stop() {
    if (!this.active) return;
    try {
      await api(`/api/messages/${encodeURIComponent(this.active.messageId)}/cancel`, { method: 'POST' });
    } catch (error) {
      // 409: it finished on its own meanwhile; the stream shows how.
      if (!(error instanceof ApiError && error.status === 409)) this.showError(error);
    }
  }

  async regenerate(messageId) {
    if (this.active) return;
    this.hideNotice();
    try {
      const { assistantMessage } = await api(`/api/messages/${encodeURIComponent(messageId)}/regenerate`, { method: 'POST' });
      const old = this.messages.get(messageId);
      this.messages.delete(messageId);
      old?.element.remove();
      this.appendMessage(assistantMessage);
      this.stickToBottom = true;
      this.scrollToBottom(true);
      this.follow(assistantMessage);
    } catch (error) {
      this.showError(error, () => this.regenerate(messageId));
    }
  }

  follow(message) {
    const entry = this.messages.get(message.id);
    const abort = new AbortController();
    this.active = { messageId: message.id, abort };
    this.updateControls();
    this.renderAssistant(entry, { status: message.status, text: '' });
    followReply(message.id, {
      signal: abort.signal,
      onChange: state => this.scheduleRender(entry, state),
      onConnection: connection => {
        if (connection === 'online') this.hideNotice();
        else this.showNotice(t(connection === 'offline' ? 'errOffline' : 'errReconnecting'));
      },
    }).then(state => {
      if (abort.signal.aborted) return;
      this.hideNotice();
      entry.message = { ...entry.message, content: state.text, status: state.status, finishReason: state.finishReason, error: state.error, toolCalls: state.tools };
      this.renderAssistant(entry, state);
    }, error => {
      if (abort.signal.aborted) return;
      this.showError(error instanceof ApiError ? error : new ApiError(error?.status ?? 0, null, null));
    }).finally(() => {
      if (this.active?.abort !== abort) return;
      this.active = null;
      this.updateControls();
      this.onActivity(this.sessionId, { replyFinished: true });
    });
  }

  // Coalesces a burst of deltas into one render per frame.
  scheduleRender(entry, state) {
    entry.latest = state;
    if (entry.frame) return;
    entry.frame = requestAnimationFrame(() => {
      entry.frame = 0;
      this.renderAssistant(entry, entry.latest);
    });
  }

  appendMessage(message) {
    const body = h('div', { class: message.role === 'user' ? 'message-body plain' : 'message-body markdown' });
    const status = h('span', { class: 'message-status' });
    const typing = h('span', { class: 'typing', i18nAria: 'typing', role: 'img', hidden: true }, h('span'), h('span'), h('span'));
    const regenerate = h('button', { type: 'button', class: 'secondary small regenerate', i18n: 'regenerate', hidden: true,
      on: { click: () => this.regenerate(message.id) } });
    const tools = h('div', { class: 'message-tools', hidden: true });
    const element = h('article', { class: `message ${message.role}`, 'data-message-id': message.id, 'data-status': message.status },
      h('div', { class: 'message-role', i18n: message.role === 'user' ? 'you' : 'assistant' }),
      tools,
      body,
      h('div', { class: 'message-meta' }, typing, status, regenerate));
    const entry = { message, element, body, tools, toolsShown: '[]', status, typing, frame: 0, latest: null };
    this.messages.set(message.id, entry);
    this.list.append(element);
    if (message.role === 'user') body.textContent = message.content;
    else this.renderAssistant(entry, { status: message.status, text: message.content, error: message.error, finishReason: message.finishReason, tools: message.toolCalls });
    return entry;
  }

  // The server-side tools a reply ran, each a closed block naming the tool that opens on its arguments and
  // result. Model and tool output is only ever set as text.
  renderTools(entry, tools) {
    const shown = JSON.stringify(tools);
    if (shown === entry.toolsShown) return;
    entry.toolsShown = shown;
    entry.tools.hidden = tools.length === 0;
    entry.tools.replaceChildren(...tools.map(tool => h('details', { class: 'tool-call' },
      h('summary', { i18n: 'toolUsed', vars: { name: tool.name ?? '' } }),
      h('div', { class: 'tool-label', i18n: 'toolArguments' }),
      h('pre', { class: 'tool-arguments', text: tool.arguments ?? '' }),
      h('div', { class: 'tool-label', i18n: tool.error ? 'toolError' : 'toolResult' }),
      h('pre', { class: 'tool-result', text: tool.error ?? tool.result ?? '' }))));
  }

  renderAssistant(entry, state) {
    const { element, body, status, typing } = entry;
    this.renderTools(entry, state.tools ?? []);
    this.markdown.renderInto(body, state.text ?? '');
    // The raw text, for the copy action and for tests that compare it with the stored message.
    element.parleyText = state.text ?? '';
    element.dataset.status = state.status;
    const isRunning = running.has(state.status);
    typing.hidden = !isRunning;
    this.typingStatus.textContent = isRunning ? t('typing') : '';
    if (state.status === 'queued') setText(status, 'statusQueued');
    else if (state.status === 'generating') setText(status, 'statusGenerating');
    else if (state.status === 'cancelled') setText(status, 'statusCancelled');
    else if (state.status === 'error') {
      delete status.dataset.i18n;
      status.textContent = `${t('statusError')}: ${describeReplyError(state.error, t)}`;
    } else if (state.finishReason === 'length') setText(status, 'finishLength');
    else {
      delete status.dataset.i18n;
      status.textContent = '';
    }
    status.classList.toggle('error', state.status === 'error');
    if (finishedStatuses.has(state.status)) entry.message = { ...entry.message, status: state.status };
    if (this.stickToBottom) this.scrollToBottom();
  }

  onScroll() {
    const c = this.conversation;
    this.stickToBottom = c.scrollTop + c.clientHeight >= c.scrollHeight - 48;
    this.jump.hidden = this.stickToBottom;
  }

  scrollToBottom(force = false) {
    if (force) this.stickToBottom = true;
    this.conversation.scrollTop = this.conversation.scrollHeight;
    this.jump.hidden = true;
  }

  async onConversationClick(event) {
    const button = event.target.closest('.copy-code');
    if (!button) return;
    const code = button.closest('.code-block')?.querySelector('code')?.textContent ?? '';
    try {
      await navigator.clipboard.writeText(code);
      setText(button, 'copied');
      setTimeout(() => setText(button, 'copyCode'), 1500);
    } catch {
      // Clipboard access can be refused (insecure origin); the code stays selectable.
    }
  }

  showError(error, retry) {
    const text = describeError(error, t);
    this.showNotice(text, retry);
    // After a rate limit, the retry becomes available when the server says it will be accepted.
    if (retry && error instanceof ApiError && error.status === 429 && error.retryAfter) {
      this.noticeRetry.disabled = true;
      setTimeout(() => { this.noticeRetry.disabled = false; }, error.retryAfter * 1000);
    }
  }

  showNotice(text, retry) {
    this.noticeText.textContent = text;
    this.notice.hidden = false;
    this.noticeRetry.hidden = !retry;
    this.noticeRetry.disabled = false;
    this.noticeRetry.onclick = retry ? () => { this.hideNotice(); retry(); } : null;
  }

  hideNotice() {
    this.notice.hidden = true;
  }
}
