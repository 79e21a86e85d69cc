/**
 * The cameras a console knows, kept current from the `cameras` topic: a snapshot on subscribe,
 * then `camera.created|updated|deleted` and `cameras.imported` (which asks for a re-fetch).
 * Plain TypeScript, unit-tested; the pinia store (`store.ts`) wires it to the socket and the API.
 */
import type { RealtimeEvent } from '@/shared/ws'
import type { Camera } from './types'

export interface RegistryActions {
  /** Fetch every camera (the REST list). */
  fetchAll: () => Promise<Camera[]>
  /** Ask the server for a fresh snapshot (after `lagged`); false when not connected. */
  resubscribe: () => boolean
  onError?: (error: unknown) => void
}

function byCode(a: Camera, b: Camera): number {
  return a.code.localeCompare(b.code, 'en') || a.id - b.id
}

function isCamera(value: unknown): value is Camera {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<Camera>
  return typeof v.id === 'number' && typeof v.code === 'string' && typeof v.lon === 'number' && typeof v.lat === 'number'
}

export class CameraRegistry {
  private readonly cameras = new Map<number, Camera>()
  private readonly listeners = new Set<(list: Camera[]) => void>()
  private readonly actions: RegistryActions
  /** Bumped by every change from the socket, so an older REST answer does not overwrite it. */
  private version = 0
  synced = false

  constructor(actions: RegistryActions) {
    this.actions = actions
  }

  list(): Camera[] {
    return [...this.cameras.values()].sort(byCode)
  }

  get(id: number): Camera | undefined {
    return this.cameras.get(id)
  }

  onChange(listener: (list: Camera[]) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed(): void {
    this.version += 1
    const list = this.list()
    for (const listener of this.listeners) listener(list)
  }

  private replace(items: Camera[]): void {
    this.cameras.clear()
    for (const camera of items) this.cameras.set(camera.id, camera)
    this.synced = true
    this.changed()
  }

  async reload(): Promise<void> {
    const started = this.version
    try {
      const items = await this.actions.fetchAll()
      if (this.version === started) this.replace(items)
    } catch (error) {
      this.actions.onError?.(error)
    }
  }

  handle(event: RealtimeEvent): void {
    const data = event.data as Record<string, unknown> | null
    switch (event.event) {
      case 'snapshot': {
        const items = Array.isArray(data?.items) ? data.items.filter(isCamera) : []
        this.replace(items)
        break
      }
      case 'camera.created':
      case 'camera.updated':
        if (isCamera(data)) {
          this.cameras.set(data.id, data)
          this.changed()
        }
        break
      case 'camera.deleted':
        if (typeof data?.id === 'number' && this.cameras.delete(data.id)) this.changed()
        break
      case 'cameras.imported':
        void this.reload()
        break
      case 'lagged':
        if (!this.actions.resubscribe()) void this.reload()
        break
      default:
        break
    }
  }
}
