import { h } from './dom.js';
import { translateTree } from './i18n.js';

// Modal dialogs on the native <dialog> element: focus is trapped and Escape cancels, for free.
function open(dialog) {
  document.body.append(dialog);
  translateTree(dialog);
  dialog.showModal();
  return new Promise(resolve => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue);
      dialog.remove();
    }, { once: true });
  });
}

export async function confirmDialog({ messageKey, vars, confirmKey = 'delete', danger = true }) {
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'confirm-text' },
    h('form', { method: 'dialog' },
      h('p', { id: 'confirm-text', i18n: messageKey, vars }),
      h('div', { class: 'dialog-actions' },
        h('button', { value: 'cancel', i18n: 'cancel', class: 'secondary' }),
        h('button', { value: 'ok', i18n: confirmKey, class: danger ? 'danger' : 'primary' }))));
  return (await open(dialog)) === 'ok';
}

export async function promptDialog({ titleKey, labelKey, value = '', maxLength = 200 }) {
  const input = h('input', { type: 'text', id: 'prompt-input', value, maxLength, required: true, autocomplete: 'off' });
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'prompt-title' },
    h('form', { method: 'dialog' },
      h('h2', { id: 'prompt-title', i18n: titleKey }),
      h('label', { for: 'prompt-input', i18n: labelKey }),
      input,
      h('div', { class: 'dialog-actions' },
        h('button', { value: 'cancel', i18n: 'cancel', class: 'secondary', formnovalidate: true }),
        h('button', { value: 'ok', i18n: 'save', class: 'primary' }))));
  queueMicrotask(() => input.select());
  return (await open(dialog)) === 'ok' ? input.value.trim() : null;
}

// The chat settings: title and system prompt, plus the two destructive actions.
export async function sessionSettingsDialog(session) {
  const title = h('input', { type: 'text', id: 'settings-title', value: session.title, maxLength: 200, autocomplete: 'off' });
  const prompt = h('textarea', { id: 'settings-prompt', rows: 6 });
  prompt.value = session.systemPrompt ?? '';
  const dialog = h('dialog', { class: 'dialog wide', 'aria-labelledby': 'settings-heading' },
    h('form', { method: 'dialog' },
      h('h2', { id: 'settings-heading', i18n: 'sessionSettings' }),
      h('label', { for: 'settings-title', i18n: 'title' }),
      title,
      h('label', { for: 'settings-prompt', i18n: 'systemPrompt' }),
      prompt,
      h('p', { class: 'hint', i18n: 'systemPromptHint' }),
      h('div', { class: 'dialog-actions split' },
        h('div', {},
          h('button', { value: 'clear', i18n: 'clearHistory', class: 'secondary', formnovalidate: true }),
          h('button', { value: 'delete', i18n: 'deleteChat', class: 'danger', formnovalidate: true })),
        h('div', {},
          h('button', { value: 'cancel', i18n: 'cancel', class: 'secondary', formnovalidate: true }),
          h('button', { value: 'save', i18n: 'save', class: 'primary' })))));
  const action = await open(dialog);
  return { action, title: title.value.trim(), systemPrompt: prompt.value };
}
