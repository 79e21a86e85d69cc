/**
 * Stream URL rules, the same as the server's (`patrolgrid/cameras/models.py`), so the camera
 * dialog can say what is wrong while typing and pick the kind from the URL. The server checks
 * again and is the authority.
 */
import type { StreamKind } from './types'

export const MEDIA_PREFIX = '/media/'

const EXTENSION_KINDS: Record<string, StreamKind> = {
  '.m3u8': 'hls',
  '.m3u': 'hls',
  '.mp4': 'mp4',
  '.m4v': 'mp4',
  '.webm': 'mp4',
  '.mov': 'mp4',
  '.mjpg': 'mjpeg',
  '.mjpeg': 'mjpeg',
}

const UNPLAYABLE = ['rtsp', 'rtsps', 'rtmp', 'rtmps', 'srt', 'udp', 'rtp']
const MEDIA_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/

function pathOf(url: string): string {
  return url.split('?', 1)[0]!.split('#', 1)[0]!
}

/** The kind a URL's path tells (`.m3u8` → hls, `.mp4` → mp4, `.mjpg` → mjpeg, `…/whep` → whep). */
export function guessKind(url: string): StreamKind | null {
  const path = pathOf(url.trim()).toLowerCase().replace(/\/+$/, '')
  if (!path) return null
  if (path.endsWith('/whep') || path === 'whep') return 'whep'
  const last = path.slice(path.lastIndexOf('/') + 1)
  const dot = last.lastIndexOf('.')
  return dot > 0 ? (EXTENSION_KINDS[last.slice(dot)] ?? null) : null
}

/** An i18n key (under `video.url`) saying what is wrong with the URL, or null when it is fine. */
export function urlProblem(raw: string): string | null {
  const url = raw.trim()
  if (!url) return null
  if (/[\s\\]/.test(url)) return 'video.url.spaces'
  if (url.startsWith('/')) {
    const path = pathOf(url)
    if (!path.startsWith(MEDIA_PREFIX)) return 'video.url.mediaPath'
    const segments = path.slice(MEDIA_PREFIX.length).split('/')
    return segments.every((s) => MEDIA_SEGMENT.test(s)) ? null : 'video.url.mediaPath'
  }
  const scheme = url.includes(':') ? url.slice(0, url.indexOf(':')).toLowerCase() : ''
  if (UNPLAYABLE.includes(scheme)) return 'video.url.unplayable'
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'video.url.scheme'
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    return 'video.url.scheme'
  }
  if (parsed.username || parsed.password) return 'video.url.credentials'
  return null
}

/** An i18n key when the kind contradicts what the URL says, else null. */
export function kindProblem(raw: string, kind: StreamKind): string | null {
  const url = raw.trim()
  if (!url) return null
  if (url.startsWith(MEDIA_PREFIX) && (kind === 'whep' || kind === 'mjpeg')) return 'video.url.mediaKind'
  const told = guessKind(url)
  return told !== null && told !== kind ? 'video.url.kindMismatch' : null
}

/**
 * A URL the browser can request for the stream: our own `/media/…` paths stay same-origin (the
 * session cookie authorises them); other URLs are used as they are.
 */
export function playUrl(url: string, origin: string = globalThis.location?.origin ?? ''): string {
  return url.startsWith('/') ? `${origin}${url}` : url
}
