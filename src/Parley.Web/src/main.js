import { api, whenSignedOut } from './api.js';
import { showApp } from './app.js';
import { showAuth } from './auth.js';
import { h } from './dom.js';
import { setLanguage, language, t } from './i18n.js';
import { createMarkdown } from './markdown.js';
import { applyTheme, savedTheme } from './preferences.js';
import './styles.css';

const root = document.getElementById('app');
const markdown = createMarkdown(window, key => t(key));

applyTheme(savedTheme());
setLanguage(language());

async function start() {
  try {
    const user = await api('/api/me', { quietUnauthorized: true });
    await showApp(root, { user, markdown, onSignOut: signIn });
  } catch (error) {
    if (error?.status === 401) signIn();
    else root.replaceChildren(h('div', { class: 'boot-error', role: 'alert' },
      h('p', { i18n: 'errNetwork' }), h('button', { type: 'button', class: 'primary', i18n: 'retry', on: { click: start } })));
  }
}

function signIn() {
  history.replaceState(null, '', '/');
  showAuth(root, () => start());
}

whenSignedOut(signIn);
start();
