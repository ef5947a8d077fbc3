import { api } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

// The server names a new session "New chat" until it titles it after the first reply; that one is shown in
// the page's language.
export const defaultTitle = 'New chat';

export function displayTitle(session) {
  return session.title === defaultTitle ? t('newChat') : session.title;
}

// The chat list, most recently updated first. It fetches the next page when its end scrolls into view.
export class Sidebar {
  constructor({ onSelect, onNew, onRename, onDelete }) {
    this.sessions = [];
    this.nextCursor = null;
    this.loading = false;
    this.loadedOnce = false;
    this.currentId = null;
    this.handlers = { onSelect, onRename, onDelete };
    this.list = h('ul', { class: 'session-list', role: 'list' });
    this.empty = h('p', { class: 'hint sidebar-empty', i18n: 'noChats', hidden: true });
    this.more = h('p', { class: 'hint', i18n: 'loadingMore', hidden: true });
    this.sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
    this.scroller = h('nav', { class: 'session-scroller', i18nAria: 'chats' }, this.list, this.empty, this.more, this.sentinel);
    this.newButton = h('button', { type: 'button', class: 'primary wide new-chat', i18n: 'newChat', on: { click: onNew } });
    new IntersectionObserver(entries => {
      if (entries.some(e => e.isIntersecting)) this.loadMore();
    }, { root: this.scroller, rootMargin: '200px' }).observe(this.sentinel);
  }

  async loadMore() {
    if (this.loading || (this.loadedOnce && !this.nextCursor)) return;
    this.loading = true;
    this.more.hidden = false;
    try {
      const query = new URLSearchParams({ limit: '30' });
      if (this.nextCursor) query.set('cursor', this.nextCursor);
      const page = await api(`/api/sessions?${query}`);
      const known = new Set(this.sessions.map(s => s.id));
      this.sessions.push(...page.items.filter(s => !known.has(s.id)));
      this.nextCursor = page.nextCursor;
      this.loadedOnce = true;
      this.render();
    } finally {
      this.loading = false;
      this.more.hidden = true;
    }
    // A tall screen may show the sentinel again at once; keep filling it.
    if (this.nextCursor && this.sentinel.getBoundingClientRect().top < this.scroller.getBoundingClientRect().bottom + 200) this.loadMore();
  }

  find(id) {
    return this.sessions.find(s => s.id === id);
  }

  // Puts a created or changed session at the top (it is the most recently updated one).
  upsert(session, { toTop = false } = {}) {
    const index = this.sessions.findIndex(s => s.id === session.id);
    if (index >= 0 && !toTop) this.sessions[index] = session;
    else {
      if (index >= 0) this.sessions.splice(index, 1);
      this.sessions.unshift(session);
    }
    this.render();
  }

  remove(id) {
    this.sessions = this.sessions.filter(s => s.id !== id);
    this.render();
  }

  select(id) {
    this.currentId = id;
    this.render();
  }

  render() {
    this.empty.hidden = !this.loadedOnce || this.sessions.length > 0;
    this.list.replaceChildren(...this.sessions.map(session => {
      const current = session.id === this.currentId;
      const title = displayTitle(session);
      return h('li', { class: current ? 'session current' : 'session', 'data-session-id': session.id },
        h('button', { type: 'button', class: 'session-link', 'aria-current': current ? 'page' : null, text: title, title,
          on: { click: () => this.handlers.onSelect(session.id) } }),
        h('button', { type: 'button', class: 'icon-button session-rename', 'aria-label': `${t('renameChat')}: ${title}`, title: t('rename'), text: '✎',
          on: { click: () => this.handlers.onRename(session) } }),
        h('button', { type: 'button', class: 'icon-button session-delete', 'aria-label': `${t('deleteChat')}: ${title}`, title: t('deleteChat'), text: '×',
          on: { click: () => this.handlers.onDelete(session) } }));
    }));
  }
}
