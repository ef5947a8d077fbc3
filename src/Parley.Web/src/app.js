import { AccountView } from './account.js';
import { api, describeError } from './api.js';
import { ChatView } from './chat.js';
import { confirmDialog, promptDialog, sessionSettingsDialog } from './dialogs.js';
import { h } from './dom.js';
import { personaName, t } from './i18n.js';
import { preferencesBar } from './preferences.js';
import { defaultTitle, displayTitle, Sidebar } from './sidebar.js';

const demoModel = 'demo';

// The signed-in page: the chat list (a drawer at phone width), the header with the persona and model
// choosers, and either the conversation or the account page.
export async function showApp(root, { user, markdown, onSignOut }) {
  const [personas, models] = await Promise.all([api('/api/personas'), api('/api/models')]);
  const draft = { personaId: personas[0]?.id ?? 'assistant', model: models.default };
  let current = null;

  const chat = new ChatView({
    markdown,
    ensureSession: async () => {
      if (current) return current.id;
      const session = await api('/api/sessions', { method: 'POST', body: { personaId: draft.personaId, model: draft.model } });
      current = session;
      sidebar.upsert(session, { toTop: true });
      sidebar.select(session.id);
      chat.sessionId = session.id;
      history.replaceState(null, '', `/?chat=${encodeURIComponent(session.id)}`);
      showSessionHeader();
      return session.id;
    },
    onActivity: async (sessionId, { replyFinished, titleChecks = 3 } = {}) => {
      // The title is set automatically just after the first reply, so a finished reply brings a fresh copy,
      // and looks again a few times while the title is still the default.
      try {
        const session = await api(`/api/sessions/${encodeURIComponent(sessionId)}`);
        if (current?.id === session.id) { current = session; showSessionHeader(); }
        sidebar.upsert(session, { toTop: !replyFinished });
        if (replyFinished && session.title === defaultTitle && titleChecks > 1) {
          setTimeout(() => chat.onActivity(sessionId, { replyFinished: true, titleChecks: titleChecks - 1 }), 1500);
        }
      } catch {
        // The list catches up on the next load; nothing the user must act on.
      }
    },
  });

  const sidebar = new Sidebar({
    onSelect: id => { openSession(id); closeDrawer(); },
    onNew: () => { openSession(null); closeDrawer(); chat.focusInput(); },
    onRename: async session => {
      const title = await promptDialog({ titleKey: 'renameChat', labelKey: 'title', value: displayTitle(session) });
      if (!title) return;
      await updateSession(session.id, { title });
    },
    onDelete: async session => {
      if (!await confirmDialog({ messageKey: 'deleteConfirm', vars: { title: displayTitle(session) } })) return;
      try {
        await api(`/api/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
        sidebar.remove(session.id);
        if (current?.id === session.id) openSession(null);
      } catch (error) {
        chat.showError(error);
      }
    },
  });

  const personaSelect = h('select', { class: 'persona-select', i18nAria: 'persona', on: { change: () => choose({ personaId: personaSelect.value }) } });
  const modelSelect = h('select', { class: 'model-select', i18nAria: 'model', on: { change: () => choose({ model: modelSelect.value }) } });
  const offlineBadge = h('span', { class: 'badge offline-badge', i18n: 'offline', hidden: true });
  const titleText = h('h1', { class: 'chat-title' });
  const settingsButton = h('button', { type: 'button', class: 'icon-button settings-button', i18nAria: 'sessionSettings', i18nTitle: 'sessionSettings', text: '⚙',
    on: { click: openSettings } });
  const menuButton = h('button', { type: 'button', class: 'icon-button menu-button', i18nAria: 'toggleSidebar', 'aria-controls': 'sidebar', 'aria-expanded': 'false', text: '☰',
    on: { click: () => (shell.classList.contains('drawer-open') ? closeDrawer() : openDrawer()) } });

  const account = new AccountView({ onBack: () => showChat() });
  const content = h('div', { class: 'content' }, chat.element);
  const accountButton = h('button', { type: 'button', class: 'link-button', i18n: 'account', on: { click: () => { showAccount(); closeDrawer(); } } });
  const signOutButton = h('button', { type: 'button', class: 'link-button', i18n: 'signOut', on: { click: signOut } });

  const sidebarElement = h('aside', { id: 'sidebar', class: 'sidebar', i18nAria: 'chats' },
    h('div', { class: 'sidebar-head' }, h('span', { class: 'brand', i18n: 'appName' }), sidebar.newButton),
    sidebar.scroller,
    h('div', { class: 'sidebar-foot' },
      h('div', { class: 'user-name', text: user.username }),
      accountButton, signOutButton, preferencesBar()));
  const backdrop = h('div', { class: 'backdrop', on: { click: () => closeDrawer() } });
  const header = h('header', { class: 'topbar' }, menuButton, titleText,
    h('div', { class: 'choosers' }, personaSelect, modelSelect, offlineBadge, settingsButton));
  const shell = h('div', { class: 'app' }, sidebarElement, backdrop, h('main', { class: 'main' }, header, content));
  root.replaceChildren(shell);
  shell.addEventListener('keydown', event => { if (event.key === 'Escape' && shell.classList.contains('drawer-open')) closeDrawer(); });
  document.addEventListener('parley:language', () => { fillChoosers(); showSessionHeader(); sidebar.render(); });

  fillChoosers();
  showSessionHeader();
  sidebar.loadMore().catch(error => chat.showError(error));
  const fromUrl = new URLSearchParams(location.search).get('chat');
  openSession(fromUrl);

  function fillChoosers() {
    personaSelect.replaceChildren(...personas.map(p => h('option', { value: p.id, text: personaName(p), title: p.description })));
    modelSelect.replaceChildren(...models.items.map(m => h('option', { value: m.id,
      text: m.id === demoModel ? `${t('offlineDemo')} (${t('offline')})` : m.displayName || m.id })));
  }

  function showSessionHeader() {
    personaSelect.value = current?.personaId ?? draft.personaId;
    modelSelect.value = current?.model ?? draft.model;
    offlineBadge.hidden = modelSelect.value !== demoModel;
    titleText.textContent = current ? displayTitle(current) : t('newChat');
    settingsButton.hidden = !current;
    document.title = current ? `${displayTitle(current)} · Parley` : 'Parley';
  }

  async function openSession(id) {
    showChat();
    current = null;
    if (id) {
      try {
        current = await api(`/api/sessions/${encodeURIComponent(id)}`);
      } catch (error) {
        id = null;
        if (error.status !== 404) chat.showError(error);
      }
    }
    history.replaceState(null, '', id ? `/?chat=${encodeURIComponent(id)}` : '/');
    sidebar.select(id);
    showSessionHeader();
    await chat.open(id);
  }

  async function choose(change) {
    if (!current) {
      Object.assign(draft, change);
      showSessionHeader();
      return;
    }
    await updateSession(current.id, change);
  }

  async function updateSession(id, change) {
    try {
      const session = await api(`/api/sessions/${encodeURIComponent(id)}`, { method: 'PATCH', body: change });
      if (current?.id === id) current = session;
      sidebar.upsert(session);
    } catch (error) {
      chat.showError(error);
    }
    showSessionHeader();
  }

  async function openSettings() {
    if (!current) return;
    const shownTitle = displayTitle(current);
    const result = await sessionSettingsDialog({ ...current, title: shownTitle });
    if (result.action === 'save') {
      // An untouched title is left alone, so the automatic title can still replace the default one.
      const title = result.title && result.title !== shownTitle ? result.title : undefined;
      await updateSession(current.id, { title, systemPrompt: result.systemPrompt });
    } else if (result.action === 'clear') {
      if (!await confirmDialog({ messageKey: 'clearConfirm', confirmKey: 'clear' })) return;
      try {
        await api(`/api/sessions/${encodeURIComponent(current.id)}/messages`, { method: 'DELETE' });
        await openSession(current.id);
      } catch (error) {
        chat.showError(error);
      }
    } else if (result.action === 'delete') {
      await sidebar.handlers.onDelete(current);
    }
  }

  function showChat() {
    content.replaceChildren(chat.element);
    header.hidden = false;
  }

  function showAccount() {
    chat.leave();
    content.replaceChildren(account.element);
    header.hidden = true;
    account.load().catch(error => account.error.textContent = describeError(error, t));
  }

  function openDrawer() {
    shell.classList.add('drawer-open');
    menuButton.setAttribute('aria-expanded', 'true');
    sidebar.newButton.focus();
  }

  function closeDrawer() {
    if (!shell.classList.contains('drawer-open')) return;
    shell.classList.remove('drawer-open');
    menuButton.setAttribute('aria-expanded', 'false');
  }

  async function signOut() {
    chat.leave();
    try { await api('/api/auth/logout', { method: 'POST' }); } catch { /* signing out locally still ends the page's session */ }
    onSignOut();
  }
}
