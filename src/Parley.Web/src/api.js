// JSON over fetch with the HttpOnly session cookie; failures become ApiError, never raw bodies on screen.
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

let onSignedOut = () => {};

export function whenSignedOut(handler) {
  onSignedOut = handler;
}

export async function api(path, { method = 'GET', body, signal, quietUnauthorized = false } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      signal,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (error?.name === 'AbortError') throw error;
    throw new ApiError(0, null, null);
  }
  const type = response.headers.get('content-type') ?? '';
  const data = response.status === 204 || !type.includes('json') ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, data, retryAfterSeconds(response.headers.get('Retry-After')));
    if (response.status === 401 && !quietUnauthorized) onSignedOut();
    throw error;
  }
  return data;
}

export function retryAfterSeconds(header) {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(1, Math.ceil((date - Date.now()) / 1000)) : null;
}

// A sentence for the person at the keyboard: what happened and what to do. `t` is the translator.
export function describeError(error, t) {
  if (!(error instanceof ApiError)) return t('errUnknown');
  const problem = error.problem ?? {};
  switch (error.status) {
    case 0: return t('errNetwork');
    case 401: return t('errSignedOut');
    case 403: return t('errForbidden');
    case 404: return t('errNotFound');
    case 409: return problem.runningMessageId ? t('errBusy') : (problem.detail ?? t('errUnknown'));
    case 413: return t('errTooLarge');
    case 429: return t('errRateLimited', { seconds: error.retryAfter ?? 10 });
    case 503: return t('errUnavailable');
    case 400: {
      const fields = problem.errors ? Object.values(problem.errors).flat().join(' ') : problem.detail;
      return t('errInvalid', { detail: fields ?? '' });
    }
    default: return error.status >= 500 ? t('errServer') : (problem.detail ?? t('errUnknown'));
  }
}

// A failed reply's error ({code, message}) as a sentence; known codes get specific advice.
export function describeReplyError(error, t) {
  const key = `replyErr_${error?.code}`;
  const text = t(key);
  return text === key ? t('replyErr_default', { message: error?.message ?? error?.code ?? '' }) : text;
}
