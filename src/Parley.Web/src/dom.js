import { t } from './i18n.js';

// h('button', { i18n: 'send', class: 'primary', on: { click } }, ...children): a small element builder. The
// i18n* options store the string's key on the element, so a language switch can re-translate it in place.
export function h(tag, options = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'i18n') {
      el.dataset.i18n = value;
      el.textContent = t(value, options.vars);
      if (options.vars) el.dataset.i18nVars = JSON.stringify(options.vars);
    } else if (name === 'vars') {
      continue;
    } else if (name === 'i18nAria') {
      el.dataset.i18nAria = value;
      el.setAttribute('aria-label', t(value));
    } else if (name === 'i18nTitle') {
      el.dataset.i18nTitle = value;
      el.title = t(value);
    } else if (name === 'i18nPlaceholder') {
      el.dataset.i18nPlaceholder = value;
      el.placeholder = t(value);
    } else if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) el.addEventListener(event, handler);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'text') {
      el.textContent = value;
    } else if (name in el && typeof value !== 'string') {
      el[name] = value;
    } else {
      el.setAttribute(name, value === true ? '' : value);
    }
  }
  el.append(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
  return el;
}

// Sets a translated text, remembering the key for later language switches.
export function setText(el, key, vars) {
  el.dataset.i18n = key;
  if (vars) el.dataset.i18nVars = JSON.stringify(vars);
  else delete el.dataset.i18nVars;
  el.textContent = t(key, vars);
}
