/**
 * The console's cameras as a pinia store, shared by the map's camera layer, the camera wall and
 * the camera admin page. Pages `acquire()` it while mounted; the topic subscription lives while
 * any page holds it.
 */
import { defineStore } from 'pinia'
import { onBeforeUnmount, onMounted, ref, shallowRef } from 'vue'
import { toastError } from '@/shared/errors'
import { getRealtime } from '@/shared/realtime'
import { camerasApi } from './api'
import { CameraRegistry } from './registry'
import type { Camera } from './types'

export const CAMERAS_TOPIC = 'cameras'
export const CAMERAS_READ = 'cameras:read'
export const CAMERAS_MANAGE = 'cameras:manage'

export const useCamerasStore = defineStore('cameras', () => {
  const cameras = shallowRef<Camera[]>([])
  const synced = ref(false)
  let registry: CameraRegistry | null = null
  let holders = 0
  let cleanup: (() => void)[] = []

  function start(): void {
    const realtime = getRealtime()
    const r = new CameraRegistry({
      fetchAll: async () => (await camerasApi.list()).items,
      resubscribe: () => realtime.resubscribe(CAMERAS_TOPIC),
      onError: toastError,
    })
    registry = r
    cleanup = [
      r.onChange((list) => {
        cameras.value = list
        synced.value = r.synced
      }),
      realtime.subscribe(CAMERAS_TOPIC, (event) => r.handle(event)),
    ]
    void r.reload()
  }

  function stop(): void {
    for (const fn of cleanup) fn()
    cleanup = []
    registry = null
    cameras.value = []
    synced.value = false
  }

  /** Keeps the list live until the returned function is called. */
  function acquire(): () => void {
    holders += 1
    if (holders === 1) start()
    let released = false
    return () => {
      if (released) return
      released = true
      holders -= 1
      if (holders === 0) stop()
    }
  }

  function get(id: number): Camera | undefined {
    return registry?.get(id)
  }

  /** Fetch again now (after a change made on this page, before its event arrives). */
  function reload(): Promise<void> {
    return registry?.reload() ?? Promise.resolve()
  }

  return { cameras, synced, acquire, get, reload }
})

/** Holds the camera list while the calling component is mounted. */
export function useCameras(): ReturnType<typeof useCamerasStore> {
  const store = useCamerasStore()
  let release: (() => void) | null = null
  onMounted(() => {
    release = store.acquire()
  })
  onBeforeUnmount(() => {
    release?.()
    release = null
  })
  return store
}
