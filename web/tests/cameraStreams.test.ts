import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec'
import { describe, expect, it, vi } from 'vitest'
import { incidentFromCamera } from '@/console/cameras/incident'
import { CAMERA_LAYER, CAMERA_SOURCE, cameraFeatures, cameraLayers } from '@/console/cameras/mapLayer'
import { negotiateWhep, StreamPlayer, type HlsConstructor, type HlsLike } from '@/console/cameras/player'
import { CameraRegistry } from '@/console/cameras/registry'
import { guessKind, kindProblem, playUrl, urlProblem } from '@/console/cameras/streams'
import type { Camera } from '@/console/cameras/types'
import { i18n } from '@/shared/i18n'

function camera(id: number, changes: Partial<Camera> = {}): Camera {
  return {
    id,
    code: `CAM-${String(id).padStart(2, '0')}`,
    name: `camera ${id}`,
    lon: 108.7,
    lat: 30.93,
    heading: 90,
    stream_url: `/media/cameras/CAM-${id}/index.m3u8`,
    stream_kind: 'hls',
    squadron_id: null,
    squadron_name: null,
    note: '',
    enabled: true,
    created_at: '2026-11-27T00:00:00Z',
    updated_at: '2026-11-27T00:00:00Z',
    ...changes,
  }
}

describe('stream URLs (the same rules as the server)', () => {
  it('tells the kind from the URL where it can', () => {
    expect(guessKind('https://x.example/live/a.M3U8?token=1')).toBe('hls')
    expect(guessKind('/media/cameras/CAM-07/clip.mp4')).toBe('mp4')
    expect(guessKind('http://10.1.1.9/mjpg/video.mjpg')).toBe('mjpeg')
    expect(guessKind('http://10.1.1.9:8889/cam1/whep/')).toBe('whep')
    expect(guessKind('http://10.1.1.9/video.cgi')).toBeNull()
    expect(guessKind('')).toBeNull()
  })

  it('finds what is wrong with a URL', () => {
    expect(urlProblem('')).toBeNull()
    expect(urlProblem('https://cams.example/a.m3u8')).toBeNull()
    expect(urlProblem('/media/cameras/CAM-01/index.m3u8')).toBeNull()
    expect(urlProblem('rtsp://10.0.0.5/stream')).toBe('video.url.unplayable')
    expect(urlProblem('ftp://x/a')).toBe('video.url.scheme')
    expect(urlProblem('javascript:alert(1)')).toBe('video.url.scheme')
    expect(urlProblem('http://user:pw@10.0.0.5/a.m3u8')).toBe('video.url.credentials')
    expect(urlProblem('/media/../secret')).toBe('video.url.mediaPath')
    expect(urlProblem('/etc/passwd')).toBe('video.url.mediaPath')
    expect(urlProblem('https://a b')).toBe('video.url.spaces')
    for (const key of ['unplayable', 'scheme', 'credentials', 'mediaPath', 'spaces', 'mediaKind', 'kindMismatch']) {
      expect(i18n.global.te(`video.url.${key}`), key).toBe(true)
    }
  })

  it('finds a kind that contradicts the URL', () => {
    expect(kindProblem('https://x/a.m3u8', 'hls')).toBeNull()
    expect(kindProblem('https://x/a.m3u8', 'mp4')).toBe('video.url.kindMismatch')
    expect(kindProblem('/media/cameras/x/clip', 'whep')).toBe('video.url.mediaKind')
    expect(kindProblem('http://x/video.cgi', 'mjpeg')).toBeNull()
    expect(kindProblem('', 'whep')).toBeNull()
  })

  it('plays /media/ paths from this origin and other URLs as they are', () => {
    expect(playUrl('/media/a/index.m3u8', 'http://127.0.0.1:8000')).toBe('http://127.0.0.1:8000/media/a/index.m3u8')
    expect(playUrl('https://x/a.m3u8', 'http://127.0.0.1:8000')).toBe('https://x/a.m3u8')
  })

  it('sends "create incident here" to the incident form with the camera', () => {
    expect(incidentFromCamera(7)).toEqual({ path: '/incidents', query: { new: '1', camera: '7' } })
  })
})

describe('camera registry', () => {
  it('follows snapshot, created/updated/deleted, and re-fetches after an import or lag', async () => {
    const fetchAll = vi.fn(async () => [camera(1), camera(5)])
    const resubscribe = vi.fn(() => false)
    const registry = new CameraRegistry({ fetchAll, resubscribe })
    const seen: number[][] = []
    registry.onChange((list) => seen.push(list.map((c) => c.id)))
    registry.handle({ topic: 'cameras', event: 'snapshot', data: { items: [camera(2), camera(1), { bad: true }] } })
    expect(registry.list().map((c) => c.id)).toEqual([1, 2])
    expect(registry.synced).toBe(true)
    registry.handle({ topic: 'cameras', event: 'camera.created', data: camera(3, { code: 'A' }) })
    expect(registry.list()[0]!.id).toBe(3) // sorted by code
    registry.handle({ topic: 'cameras', event: 'camera.updated', data: camera(3, { code: 'A', name: 'new' }) })
    expect(registry.get(3)!.name).toBe('new')
    registry.handle({ topic: 'cameras', event: 'camera.deleted', data: { id: 3 } })
    registry.handle({ topic: 'cameras', event: 'camera.deleted', data: { id: 3 } }) // twice: no change
    expect(seen.length).toBe(4)
    registry.handle({ topic: 'cameras', event: 'cameras.imported', data: { count: 2 } })
    await vi.waitFor(() => expect(registry.list().map((c) => c.id)).toEqual([1, 5]))
    registry.handle({ topic: 'cameras', event: 'lagged', data: { dropped: 3 } })
    expect(resubscribe).toHaveBeenCalledOnce()
    expect(fetchAll).toHaveBeenCalledTimes(2) // not connected: fetched instead
  })

  it('does not let an older list overwrite newer events', async () => {
    let answer: (list: Camera[]) => void = () => undefined
    const registry = new CameraRegistry({
      fetchAll: () => new Promise((resolve) => (answer = resolve)),
      resubscribe: () => true,
    })
    const loading = registry.reload()
    registry.handle({ topic: 'cameras', event: 'snapshot', data: { items: [camera(1), camera(2)] } })
    answer([camera(1)])
    await loading
    expect(registry.list().map((c) => c.id)).toEqual([1, 2])
  })
})

describe('camera map layer', () => {
  it('has one point per camera, with the heading only when known', () => {
    const fc = cameraFeatures([camera(1), camera(2, { heading: null, enabled: false })], ([lon, lat]) => [lon + 1, lat])
    expect(fc.features).toHaveLength(2)
    expect(fc.features[0]!.geometry.coordinates).toEqual([109.7, 30.93])
    expect(fc.features[0]!.properties).toEqual({ camera_id: 1, name: 'camera 1', code: 'CAM-01', enabled: true, heading: 90 })
    expect('heading' in fc.features[1]!.properties).toBe(false)
  })

  it('is valid MapLibre style and loads nothing from the network', () => {
    const style = {
      version: 8 as const,
      sources: { [CAMERA_SOURCE]: { type: 'geojson' as const, data: cameraFeatures([camera(1)]) } },
      layers: cameraLayers(1),
    }
    expect(validateStyleMin(style)).toEqual([])
    expect(style.layers.map((l) => l.id)).toEqual(Object.values(CAMERA_LAYER))
    expect(JSON.stringify(style)).not.toMatch(/https?:/)
  })
})

describe('WHEP', () => {
  it('posts a receive-only offer as application/sdp and applies the answer', async () => {
    const transceivers: [string, RTCRtpTransceiverInit | undefined][] = []
    let remote: RTCSessionDescriptionInit | null = null
    const pc = {
      iceGatheringState: 'complete',
      localDescription: { sdp: 'v=0 offer' },
      addTransceiver: (kind: string, init?: RTCRtpTransceiverInit) => transceivers.push([kind, init]),
      createOffer: async () => ({ type: 'offer', sdp: 'v=0 offer' }),
      setLocalDescription: async () => undefined,
      setRemoteDescription: async (d: RTCSessionDescriptionInit) => {
        remote = d
      },
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    } as unknown as RTCPeerConnection
    const fetchImpl = vi.fn(
      async () => new Response('v=0 answer', { status: 201, headers: { Location: '/cam1/whep/session/42' } }),
    )
    const session = await negotiateWhep(pc, 'http://10.1.1.9:8889/cam1/whep', fetchImpl as unknown as typeof fetch)
    expect(transceivers).toEqual([
      ['video', { direction: 'recvonly' }],
      ['audio', { direction: 'recvonly' }],
    ])
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit]
    expect(url).toBe('http://10.1.1.9:8889/cam1/whep')
    expect(init.method).toBe('POST')
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/sdp')
    expect(init.body).toBe('v=0 offer')
    expect(remote).toEqual({ type: 'answer', sdp: 'v=0 answer' })
    expect(session.resource).toBe('http://10.1.1.9:8889/cam1/whep/session/42')
  })

  it('fails on an error answer', async () => {
    const pc = {
      iceGatheringState: 'complete',
      localDescription: { sdp: 'o' },
      addTransceiver: () => undefined,
      createOffer: async () => ({ type: 'offer', sdp: 'o' }),
      setLocalDescription: async () => undefined,
    } as unknown as RTCPeerConnection
    const fetchImpl = async () => new Response('nope', { status: 404 })
    await expect(negotiateWhep(pc, 'http://x/whep', fetchImpl as typeof fetch)).rejects.toThrow('404')
  })
})

describe('stream player', () => {
  it('reports no signal on a fatal HLS error and tries again after a pause', async () => {
    vi.useFakeTimers()
    try {
      const handlers: Record<string, (e: string, d: { fatal?: boolean; type?: string; details?: string }) => void> = {}
      const created: HlsLike[] = []
      class FakeHls implements HlsLike {
        static isSupported = () => true
        static Events = { ERROR: 'hlsError', MANIFEST_PARSED: 'hlsManifestParsed' }
        static ErrorTypes = { MEDIA_ERROR: 'mediaError' }
        constructor() {
          created.push(this)
        }
        loadSource = vi.fn()
        attachMedia = vi.fn()
        recoverMediaError = vi.fn()
        destroy = vi.fn()
        on(event: string, listener: (e: string, d: { fatal?: boolean }) => void): void {
          handlers[event] = listener
        }
      }
      const statuses: string[] = []
      const video = document.createElement('video')
      video.play = vi.fn(async () => undefined)
      const player = new StreamPlayer('hls', 'http://x/a.m3u8', { video, img: document.createElement('img') }, {
        onStatus: (s) => statuses.push(s),
        loadHls: async () => FakeHls as unknown as HlsConstructor,
        retryMs: 1000,
      })
      player.start()
      await vi.advanceTimersByTimeAsync(0)
      expect(created).toHaveLength(1)
      expect(created[0]!.loadSource).toHaveBeenCalledWith('http://x/a.m3u8')
      // A media error is recovered once; a fatal network error is no signal.
      handlers.hlsError!('hlsError', { fatal: true, type: 'mediaError' })
      expect(created[0]!.recoverMediaError).toHaveBeenCalledOnce()
      handlers.hlsError!('hlsError', { fatal: true, type: 'networkError', details: 'manifestLoadError' })
      expect(statuses).toEqual(['loading', 'nosignal'])
      expect(created[0]!.destroy).toHaveBeenCalledOnce()
      await vi.advanceTimersByTimeAsync(1000)
      expect(created).toHaveLength(2) // tried again
      expect(statuses).toEqual(['loading', 'nosignal', 'loading'])
      player.stop()
      expect(created[1]!.destroy).toHaveBeenCalledOnce()
    } finally {
      vi.useRealTimers()
    }
  })
})
