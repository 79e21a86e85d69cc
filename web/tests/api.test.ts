import { describe, expect, it, vi } from 'vitest'
import {
  ApiError,
  buildUrl,
  createApiClient,
  errorFromBody,
  fieldErrors,
  importErrors,
  isErrorEnvelope,
  type UiLocale,
} from '@/shared/api'

type FetchArgs = [input: RequestInfo | URL, init?: RequestInit]

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  })
}

function setup(responder: (...args: FetchArgs) => Response | Promise<Response>, locale: UiLocale = 'zh-CN') {
  const calls: FetchArgs[] = []
  const onUnauthorized = vi.fn()
  const fetchImpl = vi.fn(async (...args: FetchArgs) => {
    calls.push(args)
    return responder(...args)
  })
  let current = locale
  const client = createApiClient({
    getLocale: () => current,
    onUnauthorized,
    fetchImpl: fetchImpl as unknown as typeof fetch,
  })
  return {
    client,
    calls,
    onUnauthorized,
    setLocale: (l: UiLocale) => {
      current = l
    },
  }
}

const envelope = (code: string, zh: string, en: string, details: unknown = null) => ({
  code,
  message: { zh, en },
  details,
})

describe('request building', () => {
  it('sends cookies, JSON and the UI language', async () => {
    const { client, calls, setLocale } = setup(() => jsonResponse(200, { ok: true }))
    await client.post('/api/things', { a: 1 })
    setLocale('en')
    await client.get('/api/things')

    const [url, init] = calls[0]!
    expect(url).toBe('/api/things')
    expect(init?.method).toBe('POST')
    expect(init?.credentials).toBe('same-origin')
    expect(init?.body).toBe('{"a":1}')
    const headers = init?.headers as Record<string, string>
    expect(headers['Content-Type']).toBe('application/json')
    expect(headers['Accept-Language']).toBe('zh-CN')
    expect((calls[1]![1]?.headers as Record<string, string>)['Accept-Language']).toBe('en')
  })

  it('leaves the multipart Content-Type to the browser', async () => {
    const { client, calls } = setup(() => jsonResponse(200, { imported: 2 }))
    const form = new FormData()
    form.append('file', new Blob(['a,b']), 'people.csv')
    const result = await client.post<{ imported: number }>('/api/org/people/import', undefined, { form })
    expect(result.imported).toBe(2)
    const init = calls[0]![1]!
    expect(init.body).toBe(form)
    expect((init.headers as Record<string, string>)['Content-Type']).toBeUndefined()
  })

  it('builds query strings without empty values', () => {
    expect(buildUrl('', '/api/org/people', { q: '张', squadron_id: 3, kind: '', active: false, x: null, y: undefined })).toBe(
      '/api/org/people?q=%E5%BC%A0&squadron_id=3&active=false',
    )
    expect(buildUrl('', '/p', {})).toBe('/p')
    expect(buildUrl('', '/p?a=1', { b: 2 })).toBe('/p?a=1&b=2')
  })
})

describe('responses', () => {
  it('parses JSON bodies', async () => {
    const { client } = setup(() => jsonResponse(200, { items: [1, 2], total: 2 }))
    await expect(client.get('/api/x')).resolves.toEqual({ items: [1, 2], total: 2 })
  })

  it('returns undefined for 204 No Content', async () => {
    const { client } = setup(() => new Response(null, { status: 204 }))
    await expect(client.delete('/api/org/people/1')).resolves.toBeUndefined()
  })

  it('turns the error envelope into an ApiError', async () => {
    const { client } = setup(() =>
      jsonResponse(409, envelope('org.badge_taken', '警号已被使用', 'Badge number already in use', { badge_no: 'A1' })),
    )
    const error = await client.post('/api/org/people', {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    const e = error as ApiError
    expect(e.status).toBe(409)
    expect(e.code).toBe('org.badge_taken')
    expect(e.details).toEqual({ badge_no: 'A1' })
    expect(e.localized('zh-CN')).toBe('警号已被使用')
    expect(e.localized('en')).toBe('Badge number already in use')
  })

  it('falls back to the other language when one is empty', () => {
    const e = errorFromBody(400, envelope('x', '中文说明', ''))
    expect(e.localized('en')).toBe('中文说明')
  })

  it('handles error bodies that are not envelopes', async () => {
    const { client } = setup(
      () => new Response('<html>Bad Gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html' } }),
    )
    const e = (await client.get('/api/x').catch((x: unknown) => x)) as ApiError
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(502)
    expect(e.code).toBe('http_502')
    expect(e.serverMessage).toBeNull()
    expect(e.localized('zh-CN')).toBeNull()
  })

  it('handles FastAPI default error bodies', async () => {
    const { client } = setup(() => jsonResponse(404, { detail: 'Not Found' }))
    const e = (await client.get('/api/nothing').catch((x: unknown) => x)) as ApiError
    expect(e.code).toBe('http_404')
    expect(e.details).toEqual({ detail: 'Not Found' })
  })

  it('reports an unreachable server as network_error', async () => {
    const { client } = setup(() => {
      throw new TypeError('Failed to fetch')
    })
    const e = (await client.get('/api/x').catch((x: unknown) => x)) as ApiError
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(0)
    expect(e.code).toBe('network_error')
  })

  it('lets aborts through unchanged', async () => {
    const { client } = setup(() => {
      throw new DOMException('aborted', 'AbortError')
    })
    const e = await client.get('/api/x').catch((x: unknown) => x)
    expect(e).toBeInstanceOf(DOMException)
    expect((e as DOMException).name).toBe('AbortError')
  })
})

describe('401 handling', () => {
  const required401 = () => jsonResponse(401, envelope('auth.required', '请先登录', 'Please sign in'))

  it('calls onUnauthorized for auth.required', async () => {
    const { client, onUnauthorized } = setup(required401)
    await expect(client.get('/api/org/people')).rejects.toBeInstanceOf(ApiError)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    expect((onUnauthorized.mock.calls[0]![0] as ApiError).code).toBe('auth.required')
  })

  it('does not redirect when the request opts out', async () => {
    const { client, onUnauthorized } = setup(required401)
    await expect(client.get('/api/auth/me', { skipAuthRedirect: true })).rejects.toMatchObject({
      status: 401,
      code: 'auth.required',
    })
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('does not redirect on wrong credentials', async () => {
    const { client, onUnauthorized } = setup(() =>
      jsonResponse(401, envelope('auth.invalid_credentials', '用户名或密码错误', 'Wrong username or password')),
    )
    await expect(client.post('/api/auth/login', {})).rejects.toMatchObject({ code: 'auth.invalid_credentials' })
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('uses a handler set later', async () => {
    const { client, onUnauthorized } = setup(required401)
    const later = vi.fn()
    client.setUnauthorizedHandler(later)
    await client.get('/api/x').catch(() => undefined)
    expect(later).toHaveBeenCalledTimes(1)
    expect(onUnauthorized).not.toHaveBeenCalled()
  })
})

describe('error details', () => {
  it('recognises envelopes', () => {
    expect(isErrorEnvelope(envelope('a', 'b', 'c'))).toBe(true)
    expect(isErrorEnvelope({ code: 'a', message: 'text' })).toBe(false)
    expect(isErrorEnvelope(null)).toBe(false)
  })

  it('maps validation errors to fields by the last loc element', () => {
    const e = errorFromBody(
      422,
      envelope('validation_error', '输入有误', 'Invalid input', [
        { loc: ['body', 'mobile'], code: 'mobile', message: { zh: '手机号格式不正确', en: 'Invalid mobile number' } },
        { loc: ['body', 'badge_no'], code: 'missing', message: { zh: '必填', en: 'Required' } },
        { loc: ['body', 'mobile'], code: 'other', message: { zh: '第二条', en: 'second' } },
        { loc: [], code: 'bad', message: { zh: 'x', en: 'x' } },
        'garbage',
      ]),
    )
    expect(fieldErrors(e, 'zh-CN')).toEqual({ mobile: '手机号格式不正确', badge_no: '必填' })
    expect(fieldErrors(e, 'en')).toEqual({ mobile: 'Invalid mobile number', badge_no: 'Required' })
    expect(fieldErrors(new Error('x'), 'en')).toEqual({})
  })

  it('extracts import line errors', () => {
    const lines = [
      { line: 3, column: '手机', code: 'mobile', message: { zh: '手机号格式不正确', en: 'Invalid mobile' } },
      { line: 7, column: null, code: 'squadron', message: { zh: '中队不存在', en: 'No such squadron' } },
    ]
    const e = errorFromBody(422, envelope('org.import_invalid', '导入失败', 'Import failed', { errors: lines }))
    expect(importErrors(e)).toEqual(lines)
    expect(importErrors(errorFromBody(422, envelope('x', 'a', 'b', null)))).toEqual([])
  })
})
