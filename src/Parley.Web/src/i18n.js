// Every visible string, in English and Simplified Chinese. The language comes from the saved choice, else the
// browser's; only that preference is stored (localStorage), never anything about the account.
const strings = {
  en: {
    appName: 'Parley',
    signInTitle: 'Sign in to Parley',
    setupTitle: 'Welcome to Parley',
    setupIntro: 'This server has no accounts yet. Create the administrator account to start.',
    registerTitle: 'Create an account',
    username: 'Username',
    password: 'Password',
    signIn: 'Sign in',
    createAdmin: 'Create admin account',
    createAccount: 'Create account',
    haveAccount: 'I already have an account',
    needAccount: 'Create an account',
    registrationClosed: 'Registration is closed on this server. Ask the administrator for an account.',
    usernameHint: '3–64 letters, digits, “_”, “.” or “-”',
    passwordHint: 'At least 8 characters',
    signOut: 'Sign out',
    newChat: 'New chat',
    chats: 'Chats',
    conversation: 'Conversation',
    loadEarlier: 'Load earlier messages',
    noChats: 'No chats yet.',
    loadingMore: 'Loading…',
    rename: 'Rename',
    renameChat: 'Rename chat',
    deleteChat: 'Delete chat',
    deleteConfirm: 'Delete “{title}”? Its messages are removed for good.',
    clearHistory: 'Clear history',
    clearConfirm: 'Remove every message in this chat? The chat itself stays.',
    cancel: 'Cancel',
    delete: 'Delete',
    save: 'Save',
    clear: 'Clear',
    close: 'Close',
    title: 'Title',
    persona: 'Persona',
    model: 'Model',
    offline: 'offline',
    offlineDemo: 'Offline demo',
    sessionSettings: 'Chat settings',
    systemPrompt: 'System prompt for this chat',
    systemPromptHint: 'Added after the persona’s own instructions.',
    messagePlaceholder: 'Message Parley… (Enter to send, Shift+Enter for a new line)',
    messageLabel: 'Message',
    send: 'Send',
    stop: 'Stop',
    regenerate: 'Regenerate',
    retry: 'Retry',
    copyCode: 'Copy',
    copied: 'Copied',
    copy: 'Copy',
    imageNotLoaded: 'Remote image not loaded:',
    you: 'You',
    assistant: 'Assistant',
    typing: 'Assistant is typing',
    statusQueued: 'Queued…',
    statusGenerating: 'Writing…',
    statusCancelled: 'Stopped',
    statusError: 'Failed',
    finishLength: 'The reply reached its length limit.',
    toolUsed: 'Used the tool {name}',
    toolArguments: 'Arguments',
    toolResult: 'Result',
    toolError: 'Error',
    emptyTitle: 'How can I help?',
    emptyHint: 'Pick a persona and a model, then send a message.',
    scrollToBottom: 'Jump to the latest message',
    toggleSidebar: 'Show or hide the chat list',
    theme: 'Theme',
    themeSystem: 'System theme',
    themeLight: 'Light theme',
    themeDark: 'Dark theme',
    language: 'Language',
    account: 'API keys and usage',
    backToChat: 'Back to chat',
    apiKeys: 'API keys',
    apiKeysIntro: 'Keys let programs use Parley’s API and its OpenAI-compatible /v1 endpoint.',
    keyName: 'Key name',
    key: 'Key',
    createKey: 'Create key',
    newKeyNotice: 'Copy this key now. It will not be shown again.',
    noKeys: 'No API keys yet.',
    created: 'Created',
    lastUsed: 'Last used',
    never: 'never',
    keyUsage: 'Tokens (requests)',
    revoke: 'Revoke',
    revokeConfirm: 'Revoke the key “{name}”? Programs using it stop working.',
    usage: 'Usage, last 30 days',
    requests: 'Requests',
    promptTokens: 'Prompt tokens',
    completionTokens: 'Completion tokens',
    totalTokens: 'Total tokens',
    noUsage: 'No usage yet.',
    errNetwork: 'Can’t reach the server. Check your connection and try again.',
    errReconnecting: 'Connection lost. Reconnecting…',
    errOffline: 'You are offline. The reply continues on the server and appears when you are back.',
    errSignedOut: 'Your session has ended. Please sign in again.',
    errBadLogin: 'The username or password is wrong.',
    errTooManyLogins: 'Too many failed sign-ins. Wait {seconds} s and try again.',
    errRateLimited: 'You are sending too fast. Try again in {seconds} s.',
    errBusy: 'The previous reply is still running. Wait for it or stop it.',
    errTaken: 'That username is taken.',
    errInvalid: 'Please check the form: {detail}',
    errTooLarge: 'That message is too long.',
    errUnavailable: 'The server is busy or restarting. Try again in a moment.',
    errServer: 'The server had a problem. Try again.',
    errNotFound: 'This chat no longer exists.',
    errForbidden: 'That is not allowed on this server.',
    errUnknown: 'Something went wrong. Try again.',
    replyErr_upstream_timeout: 'The model stopped responding. Try regenerating the reply.',
    replyErr_upstream_rate_limited: 'The model provider is rate limiting requests. Wait a little, then regenerate.',
    replyErr_insufficient_quota: 'The model provider’s quota is used up. Ask the administrator.',
    replyErr_upstream_auth: 'The server could not sign in to the model provider. Ask the administrator.',
    replyErr_upstream_unavailable: 'The model is unavailable right now. Try again shortly.',
    replyErr_model_unavailable: 'This model is not available. Pick another model.',
    replyErr_attempts_exhausted: 'The reply failed after several attempts. Try regenerating it.',
    replyErr_default: 'The reply failed: {message}',
  },
  zh: {
    appName: 'Parley',
    signInTitle: '登录 Parley',
    setupTitle: '欢迎使用 Parley',
    setupIntro: '此服务器还没有账户。请先创建管理员账户。',
    registerTitle: '创建账户',
    username: '用户名',
    password: '密码',
    signIn: '登录',
    createAdmin: '创建管理员账户',
    createAccount: '创建账户',
    haveAccount: '我已有账户',
    needAccount: '创建新账户',
    registrationClosed: '此服务器已关闭注册。请向管理员申请账户。',
    usernameHint: '3–64 个字母、数字、“_”、“.”或“-”',
    passwordHint: '至少 8 个字符',
    signOut: '退出登录',
    newChat: '新对话',
    chats: '对话',
    conversation: '对话内容',
    loadEarlier: '加载更早的消息',
    noChats: '还没有对话。',
    loadingMore: '加载中…',
    rename: '重命名',
    renameChat: '重命名对话',
    deleteChat: '删除对话',
    deleteConfirm: '删除“{title}”？其中的消息将被永久删除。',
    clearHistory: '清空记录',
    clearConfirm: '删除此对话中的所有消息？对话本身会保留。',
    cancel: '取消',
    delete: '删除',
    save: '保存',
    clear: '清空',
    close: '关闭',
    title: '标题',
    persona: '角色',
    model: '模型',
    offline: '离线',
    offlineDemo: '离线演示',
    sessionSettings: '对话设置',
    systemPrompt: '此对话的系统提示词',
    systemPromptHint: '附加在角色自身的指令之后。',
    messagePlaceholder: '给 Parley 发消息…（Enter 发送，Shift+Enter 换行）',
    messageLabel: '消息',
    send: '发送',
    stop: '停止',
    regenerate: '重新生成',
    retry: '重试',
    copyCode: '复制',
    copied: '已复制',
    copy: '复制',
    imageNotLoaded: '未加载远程图片：',
    you: '你',
    assistant: '助手',
    typing: '助手正在输入',
    statusQueued: '排队中…',
    statusGenerating: '正在生成…',
    statusCancelled: '已停止',
    statusError: '失败',
    finishLength: '回复已达到长度上限。',
    toolUsed: '调用了工具 {name}',
    toolArguments: '参数',
    toolResult: '结果',
    toolError: '错误',
    emptyTitle: '有什么可以帮你？',
    emptyHint: '选择角色和模型，然后发送消息。',
    scrollToBottom: '跳到最新消息',
    toggleSidebar: '显示或隐藏对话列表',
    theme: '主题',
    themeSystem: '跟随系统',
    themeLight: '浅色主题',
    themeDark: '深色主题',
    language: '语言',
    account: 'API 密钥与用量',
    backToChat: '返回对话',
    apiKeys: 'API 密钥',
    apiKeysIntro: '程序可以用密钥调用 Parley 的 API 及其兼容 OpenAI 的 /v1 接口。',
    keyName: '密钥名称',
    key: '密钥',
    createKey: '创建密钥',
    newKeyNotice: '请立即复制此密钥，它不会再次显示。',
    noKeys: '还没有 API 密钥。',
    created: '创建时间',
    lastUsed: '最近使用',
    never: '从未',
    keyUsage: 'token（请求数）',
    revoke: '吊销',
    revokeConfirm: '吊销密钥“{name}”？使用它的程序将无法继续工作。',
    usage: '最近 30 天用量',
    requests: '请求数',
    promptTokens: '提示词 token',
    completionTokens: '生成 token',
    totalTokens: '总 token',
    noUsage: '还没有用量。',
    errNetwork: '无法连接服务器。请检查网络后重试。',
    errReconnecting: '连接已断开，正在重新连接…',
    errOffline: '你已离线。回复会在服务器上继续生成，恢复连接后即可看到。',
    errSignedOut: '登录已过期，请重新登录。',
    errBadLogin: '用户名或密码错误。',
    errTooManyLogins: '登录失败次数过多。请等待 {seconds} 秒后重试。',
    errRateLimited: '发送太频繁。请在 {seconds} 秒后重试。',
    errBusy: '上一条回复仍在生成。请等待或停止它。',
    errTaken: '该用户名已被占用。',
    errInvalid: '请检查输入：{detail}',
    errTooLarge: '消息太长。',
    errUnavailable: '服务器繁忙或正在重启。请稍后再试。',
    errServer: '服务器出现问题，请重试。',
    errNotFound: '此对话已不存在。',
    errForbidden: '此服务器不允许该操作。',
    errUnknown: '出错了，请重试。',
    replyErr_upstream_timeout: '模型停止了响应。请尝试重新生成。',
    replyErr_upstream_rate_limited: '模型服务商正在限流。请稍等后重新生成。',
    replyErr_insufficient_quota: '模型服务商的额度已用完。请联系管理员。',
    replyErr_upstream_auth: '服务器无法登录模型服务商。请联系管理员。',
    replyErr_upstream_unavailable: '模型暂时不可用。请稍后再试。',
    replyErr_model_unavailable: '此模型不可用。请选择其他模型。',
    replyErr_attempts_exhausted: '多次尝试后回复仍然失败。请尝试重新生成。',
    replyErr_default: '回复失败：{message}',
  },
};

// Built-in personas get names in the UI's language; personas from configuration keep their own names.
const personaNames = {
  en: { assistant: 'Assistant', teacher: 'Teacher', programmer: 'Programmer' },
  zh: { assistant: '智能助手', teacher: 'AI老师', programmer: '编程专家' },
};

const storageKey = 'parley.lang';
let current = pickLanguage();

export function pickLanguage(saved = safeGet(storageKey), browser = globalThis.navigator?.languages ?? [globalThis.navigator?.language]) {
  if (saved === 'en' || saved === 'zh') return saved;
  for (const tag of browser) if (tag) return tag.toLowerCase().startsWith('zh') ? 'zh' : 'en';
  return 'en';
}

export const languages = [{ id: 'en', label: 'English' }, { id: 'zh', label: '简体中文' }];

export function language() {
  return current;
}

export function setLanguage(lang) {
  current = lang === 'zh' ? 'zh' : 'en';
  try { localStorage.setItem(storageKey, current); } catch { /* storage may be disabled; the choice lasts this visit */ }
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  translateTree(document);
}

export function t(key, vars = {}) {
  const text = strings[current][key] ?? strings.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

export function personaName(persona) {
  return personaNames[current][persona.id] ?? persona.name;
}

// Elements built with data-i18n* attributes are re-translated in place when the language changes.
export function translateTree(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n, parseVars(el.dataset.i18nVars));
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  root.dispatchEvent?.(new CustomEvent('parley:language'));
}

function parseVars(json) {
  if (!json) return {};
  try { return JSON.parse(json); } catch { return {}; }
}

function safeGet(key) {
  try { return globalThis.localStorage?.getItem(key) ?? null; } catch { return null; }
}

export const dictionaries = strings;
