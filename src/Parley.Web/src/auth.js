import { api, ApiError, describeError } from './api.js';
import { h, setText } from './dom.js';
import { t } from './i18n.js';
import { preferencesBar } from './preferences.js';

// Sign-in and registration. On a fresh install (no accounts yet) it offers to create the administrator.
export async function showAuth(root, onSignedIn) {
  let setup = { hasUsers: true, openRegistration: true };
  try {
    setup = await api('/api/auth/setup', { quietUnauthorized: true });
  } catch {
    // Without the hint the page still offers sign-in, which works on every install.
  }
  let mode = setup.hasUsers ? 'signin' : 'setup';

  const heading = h('h1', { id: 'auth-heading' });
  const intro = h('p', { class: 'hint' });
  const username = h('input', { id: 'auth-username', name: 'username', autocomplete: 'username', required: true, minLength: 3, maxLength: 64, autocapitalize: 'none', spellcheck: false });
  const password = h('input', { id: 'auth-password', name: 'password', type: 'password', required: true, minLength: 1 });
  const usernameHint = h('p', { class: 'hint', id: 'username-hint', i18n: 'usernameHint' });
  const passwordHint = h('p', { class: 'hint', id: 'password-hint', i18n: 'passwordHint' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary wide' });
  const toggle = h('button', { type: 'button', class: 'link-button', on: { click: () => { mode = mode === 'signin' ? 'register' : 'signin'; render(); } } });

  const form = h('form', { class: 'auth-form', 'aria-labelledby': 'auth-heading', on: { submit: onSubmit } },
    heading, intro,
    h('label', { for: 'auth-username', i18n: 'username' }), username, usernameHint,
    h('label', { for: 'auth-password', i18n: 'password' }), password, passwordHint,
    error, submit, toggle);

  root.replaceChildren(h('div', { class: 'auth-page' }, h('div', { class: 'auth-top' }, preferencesBar()), h('main', { class: 'auth-card' }, form)));

  function render() {
    const creating = mode !== 'signin';
    setText(heading, mode === 'setup' ? 'setupTitle' : creating ? 'registerTitle' : 'signInTitle');
    intro.hidden = mode !== 'setup';
    setText(intro, 'setupIntro');
    setText(submit, mode === 'setup' ? 'createAdmin' : creating ? 'createAccount' : 'signIn');
    usernameHint.hidden = passwordHint.hidden = !creating;
    password.minLength = creating ? 8 : 1;
    password.autocomplete = creating ? 'new-password' : 'current-password';
    toggle.hidden = mode === 'setup' || (!setup.openRegistration && mode === 'signin');
    setText(toggle, mode === 'signin' ? 'needAccount' : 'haveAccount');
    error.textContent = '';
    username.focus();
  }

  async function onSubmit(event) {
    event.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    const body = { username: username.value.trim(), password: password.value };
    try {
      if (mode !== 'signin') await api('/api/auth/register', { method: 'POST', body, quietUnauthorized: true });
      const user = await api('/api/auth/login', { method: 'POST', body, quietUnauthorized: true });
      onSignedIn(user);
    } catch (e) {
      error.textContent = authError(e);
    } finally {
      submit.disabled = false;
    }
  }

  render();
}

function authError(error) {
  if (!(error instanceof ApiError)) return t('errUnknown');
  if (error.status === 401) return t('errBadLogin');
  if (error.status === 409) return t('errTaken');
  if (error.status === 403) return t('registrationClosed');
  if (error.status === 429) return t('errTooManyLogins', { seconds: error.retryAfter ?? 60 });
  return describeError(error, t);
}
