import { api, describeError } from './api.js';
import { confirmDialog } from './dialogs.js';
import { h } from './dom.js';
import { language, t } from './i18n.js';

// API keys (create: shown once with a copy button; list; revoke) and the user's token usage.
export class AccountView {
  constructor({ onBack }) {
    this.keyList = h('div', { class: 'key-list' });
    this.newKey = h('div', { class: 'new-key', hidden: true });
    this.error = h('p', { class: 'form-error', role: 'alert' });
    this.usage = h('div', { class: 'usage' });
    const name = h('input', { id: 'key-name', maxLength: 100, required: true, autocomplete: 'off' });
    const form = h('form', { class: 'inline-form', on: { submit: async event => {
      event.preventDefault();
      this.error.textContent = '';
      try {
        const created = await api('/api/keys', { method: 'POST', body: { name: name.value.trim() } });
        name.value = '';
        this.showNewKey(created.key);
        await this.loadKeys();
      } catch (error) {
        this.error.textContent = describeError(error, t);
      }
    } } },
      h('label', { for: 'key-name', i18n: 'keyName' }), name, h('button', { type: 'submit', class: 'primary', i18n: 'createKey' }));

    this.element = h('section', { class: 'account' },
      h('div', { class: 'account-inner' },
        h('button', { type: 'button', class: 'link-button', i18n: 'backToChat', on: { click: onBack } }),
        h('h2', { i18n: 'apiKeys' }),
        h('p', { class: 'hint', i18n: 'apiKeysIntro' }),
        form, this.error, this.newKey, this.keyList,
        h('h2', { i18n: 'usage' }),
        this.usage));
    document.addEventListener('parley:language', () => { this.renderKeys(); this.renderUsage(); });
  }

  async load() {
    this.newKey.hidden = true;
    this.error.textContent = '';
    await Promise.all([this.loadKeys(), this.loadUsage()]).catch(error => { this.error.textContent = describeError(error, t); });
  }

  showNewKey(key) {
    const value = h('code', { class: 'key-value', text: key });
    const copy = h('button', { type: 'button', class: 'secondary', i18n: 'copy', on: { click: async () => {
      try { await navigator.clipboard.writeText(key); copy.dataset.i18n = 'copied'; copy.textContent = t('copied'); } catch { /* the key stays selectable */ }
    } } });
    this.newKey.replaceChildren(h('p', { i18n: 'newKeyNotice' }), h('div', { class: 'key-row' }, value, copy));
    this.newKey.hidden = false;
  }

  async loadKeys() {
    this.keys = await api('/api/keys');
    this.renderKeys();
  }

  renderKeys() {
    if (!this.keys) return;
    if (this.keys.length === 0) {
      this.keyList.replaceChildren(h('p', { class: 'hint', i18n: 'noKeys' }));
      return;
    }
    this.keyList.replaceChildren(h('table', { class: 'data-table' },
      h('thead', {}, h('tr', {}, h('th', { i18n: 'keyName' }), h('th', { i18n: 'key' }), h('th', { i18n: 'created' }), h('th', { i18n: 'lastUsed' }), h('th', { i18n: 'keyUsage' }), h('th'))),
      h('tbody', {}, this.keys.map(key => h('tr', {},
        h('td', { text: key.name }),
        h('td', {}, h('code', { text: `${key.prefix}…` })),
        h('td', { text: formatTime(key.createdAt) }),
        h('td', { text: key.lastUsedAt ? formatTime(key.lastUsedAt) : t('never') }),
        h('td', { text: key.usage ? `${formatNumber(key.usage.totalTokens)} (${formatNumber(key.usage.requests)})` : '–' }),
        h('td', {}, h('button', { type: 'button', class: 'danger small', i18n: 'revoke', 'aria-label': `${t('revoke')}: ${key.name}`, on: { click: async () => {
          if (!await confirmDialog({ messageKey: 'revokeConfirm', vars: { name: key.name }, confirmKey: 'revoke' })) return;
          try { await api(`/api/keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' }); await this.loadKeys(); }
          catch (error) { this.error.textContent = describeError(error, t); }
        } } })))))));
  }

  async loadUsage() {
    this.usageData = await api('/api/me/usage');
    this.renderUsage();
  }

  renderUsage() {
    const u = this.usageData;
    if (!u) return;
    const number = formatNumber;
    const totals = h('dl', { class: 'usage-totals' },
      [['requests', u.requests], ['promptTokens', u.promptTokens], ['completionTokens', u.completionTokens], ['totalTokens', u.totalTokens]]
        .map(([key, value]) => h('div', {}, h('dt', { i18n: key }), h('dd', { text: number(value) }))));
    const byModel = u.byModel.length === 0 ? h('p', { class: 'hint', i18n: 'noUsage' }) : h('table', { class: 'data-table' },
      h('thead', {}, h('tr', {}, h('th', { i18n: 'model' }), h('th', { i18n: 'requests' }), h('th', { i18n: 'promptTokens' }), h('th', { i18n: 'completionTokens' }))),
      h('tbody', {}, u.byModel.map(m => h('tr', {}, h('td', { text: m.model }), h('td', { text: number(m.requests) }),
        h('td', { text: number(m.promptTokens) }), h('td', { text: number(m.completionTokens) })))));
    this.usage.replaceChildren(totals, byModel);
  }
}

function formatNumber(n) {
  return n.toLocaleString(language() === 'zh' ? 'zh-CN' : 'en');
}

function formatTime(iso) {
  return new Date(iso).toLocaleString(language() === 'zh' ? 'zh-CN' : 'en');
}
