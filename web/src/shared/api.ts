/**
 * A small typed HTTP client for the patrolgrid API.
 *
 * - Sends cookies (`credentials: 'same-origin'`); the session token is HttpOnly and never seen here.
 * - Sends the UI locale as `Accept-Language`.
 * - Every non-2xx response becomes an {@link ApiError}. The server's error envelope
 *   `{code, message: {zh, en}, details}` is parsed; anything else (a proxy's HTML page, FastAPI's
 *   default `{detail}` body) still becomes an ApiError with a synthetic code `http_<status>`.
 * - A 401 with code `auth.required` calls `onUnauthorized` (the apps send the user to the login
 *   page) unless the request opted out with `skipAuthRedirect`.
 */
import type { ErrorEnvelope, ImportErrorItem, LocalizedText, ValidationErrorItem } from './types'

export type UiLocale = 'zh-CN' | 'en'

export const NETWORK_ERROR = 'network_error'
export const AUTH_REQUIRED = 'auth.required'

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number
  /** Machine-readable code from the envelope, or `http_<status>` / `network_error`. */
  readonly code: string
  /** The server's message in both languages, when the server sent an envelope. */
  readonly serverMessage: LocalizedText | null
  readonly details: unknown

  constructor(status: number, code: string, serverMessage: LocalizedText | null, details: unknown) {
    super(serverMessage?.en ?? `${code} (HTTP ${status})`)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.serverMessage = serverMessage
    this.details = details
  }

  /** The server's message in the given UI locale, or null when it sent none. */
  localized(locale: UiLocale): string | null {
    if (!this.serverMessage) return null
    const text = locale === 'en' ? this.serverMessage.en : this.serverMessage.zh
    return text || this.serverMessage.zh || this.serverMessage.en || null
  }
}

function isLocalizedText(value: unknown): value is LocalizedText {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.zh === 'string' && typeof v.en === 'string'
}

export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return typeof v.code === 'string' && isLocalizedText(v.message)
}

/** Builds an ApiError from a status and an already-parsed body (JSON value, text or null). */
export function errorFromBody(status: number, body: unknown): ApiError {
  if (isErrorEnvelope(body)) {
    return new ApiError(status, body.code, body.message, body.details ?? null)
  }
  return new ApiError(status, `http_${status}`, null, body ?? null)
}

/**
 * Field errors of a `validation_error` response, keyed by the last element of each `loc`
 * (`["body", "mobile"]` → `mobile`). The first message per field wins.
 */
export function fieldErrors(error: unknown, locale: UiLocale): Record<string, string> {
  const out: Record<string, string> = {}
  if (!(error instanceof ApiError) || !Array.isArray(error.details)) return out
  for (const raw of error.details as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue
    const item = raw as Partial<ValidationErrorItem>
    if (!Array.isArray(item.loc) || item.loc.length === 0 || !isLocalizedText(item.message)) continue
    const field = String(item.loc[item.loc.length - 1])
    if (field in out) continue
    out[field] = (locale === 'en' ? item.message.en : item.message.zh) || item.message.zh
  }
  return out
}

/** Per-line errors of an `org.import_invalid` response (empty for any other error). */
export function importErrors(error: unknown): ImportErrorItem[] {
  if (!(error instanceof ApiError) || typeof error.details !== 'object' || error.details === null) {
    return []
  }
  const list = (error.details as { errors?: unknown }).errors
  if (!Array.isArray(list)) return []
  return list.filter(
    (e): e is ImportErrorItem =>
      typeof e === 'object' && e !== null && typeof (e as ImportErrorItem).line === 'number' &&
      isLocalizedText((e as ImportErrorItem).message),
  )
}

export type QueryValue = string | number | boolean | null | undefined
export type Query = Record<string, QueryValue>

export interface RequestOptions {
  query?: Query
  /** A JSON body. */
  body?: unknown
  /** A multipart body; the browser sets the Content-Type with its boundary. */
  form?: FormData
  signal?: AbortSignal
  /** Do not call `onUnauthorized` on 401 (the login call and the initial session probe). */
  skipAuthRedirect?: boolean
}

export interface ApiClientOptions {
  /** Prefix for every path; defaults to '' (same origin). */
  baseUrl?: string
  getLocale: () => UiLocale
  onUnauthorized?: (error: ApiError) => void
  fetchImpl?: typeof fetch
}

export interface ApiClient {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>
  get<T>(path: string, options?: RequestOptions): Promise<T>
  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T>
  patch<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T>
  delete<T = void>(path: string, options?: RequestOptions): Promise<T>
  /** An absolute-path URL with the query string (for links such as file downloads). */
  url(path: string, query?: Query): string
  setUnauthorizedHandler(handler: ((error: ApiError) => void) | undefined): void
}

export function buildUrl(baseUrl: string, path: string, query?: Query): string {
  let url = baseUrl + path
  if (query) {
    const params = new URLSearchParams()
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === '') continue
      params.append(key, String(value))
    }
    const qs = params.toString()
    if (qs) url += (url.includes('?') ? '&' : '?') + qs
  }
  return url
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204 || response.status === 205) return undefined
  const text = await response.text()
  if (!text) return undefined
  const type = response.headers.get('content-type') ?? ''
  if (type.includes('json')) {
    try {
      return JSON.parse(text) as unknown
    } catch {
      return text
    }
  }
  return text
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl ?? ''
  let onUnauthorized = options.onUnauthorized

  async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const doFetch = options.fetchImpl ?? globalThis.fetch.bind(globalThis)
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Accept-Language': options.getLocale(),
    }
    let body: BodyInit | undefined
    if (opts.form) {
      body = opts.form
    } else if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(opts.body)
    }

    let response: Response
    try {
      response = await doFetch(buildUrl(baseUrl, path, opts.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
        signal: opts.signal,
      })
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause
      throw new ApiError(0, NETWORK_ERROR, null, String(cause))
    }

    let parsed: unknown
    try {
      parsed = await readBody(response)
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause
      throw new ApiError(response.status || 0, NETWORK_ERROR, null, String(cause))
    }

    if (!response.ok) {
      const error = errorFromBody(response.status, parsed)
      if (
        response.status === 401 &&
        error.code === AUTH_REQUIRED &&
        !opts.skipAuthRedirect &&
        onUnauthorized
      ) {
        onUnauthorized(error)
      }
      throw error
    }
    return parsed as T
  }

  return {
    request,
    get: (path, opts) => request('GET', path, opts),
    post: (path, body, opts) => request('POST', path, { ...opts, body }),
    patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
    delete: (path, opts) => request('DELETE', path, opts),
    url: (path, query) => buildUrl(baseUrl, path, query),
    setUnauthorizedHandler(handler) {
      onUnauthorized = handler
    },
  }
}
