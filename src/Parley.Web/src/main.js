import { api, whenSignedOut } from './api.js';
import { showApp } from './app.js';
import { showAuth } from './auth.js';
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
    else root.textContent = t('errNetwork');
  }
}

function signIn() {
  history.replaceState(null, '', '/');
  showAuth(root, () => start());
}

whenSignedOut(signIn);
start();
