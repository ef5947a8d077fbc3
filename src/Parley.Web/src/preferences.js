import { h } from './dom.js';
import { languages, language, setLanguage, t } from './i18n.js';

// Theme: 'system' follows prefers-color-scheme; 'light' and 'dark' override it. Only the choice is stored.
const themeKey = 'parley.theme';
const themes = ['system', 'light', 'dark'];
const themeLabels = { system: 'themeSystem', light: 'themeLight', dark: 'themeDark' };
const themeIcons = { system: '◐', light: '☀', dark: '☾' };

export function savedTheme() {
  try {
    const value = localStorage.getItem(themeKey);
    return themes.includes(value) ? value : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(theme) {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  try { localStorage.setItem(themeKey, theme); } catch { /* the choice lasts this visit */ }
}

// The language chooser and the theme switcher, used on the sign-in page and in the sidebar.
export function preferencesBar() {
  const select = h('select', { class: 'language-select', i18nAria: 'language', on: { change: () => setLanguage(select.value) } },
    languages.map(l => h('option', { value: l.id, text: l.label, lang: l.id === 'zh' ? 'zh-CN' : 'en' })));
  select.value = language();

  const themeButton = h('button', { type: 'button', class: 'icon-button theme-button' });
  const showTheme = theme => {
    themeButton.dataset.theme = theme;
    themeButton.textContent = themeIcons[theme];
    themeButton.dataset.i18nAria = themeLabels[theme];
    themeButton.dataset.i18nTitle = themeLabels[theme];
    themeButton.setAttribute('aria-label', t(themeLabels[theme]));
    themeButton.title = t(themeLabels[theme]);
  };
  showTheme(savedTheme());
  themeButton.addEventListener('click', () => {
    const next = themes[(themes.indexOf(themeButton.dataset.theme) + 1) % themes.length];
    applyTheme(next);
    showTheme(next);
  });
  return h('div', { class: 'preferences' }, select, themeButton);
}
