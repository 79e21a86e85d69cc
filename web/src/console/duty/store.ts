/**
 * The console's open auxiliary-alone alerts (路员单独巡逻) on the shared realtime connection
 * (topic `duty`): loaded from the API, kept by `duty.alone` events, reloaded after a reconnect or
 * a lag. Started by the banner the console layout mounts for users with `duty:read`, so that an
 * alert shows on every page.
 */
import { defineStore } from 'pinia'
import { ref, shallowRef, watch } from 'vue'
import { dutyApi } from '@/shared/duty/api'
import type { DutyAlert } from '@/shared/duty/types'
import { getRealtime } from '@/shared/realtime'
import { ALONE_EVENT, alertFromEvent, applyAlert, isFreshAlarm, sortAlerts } from './alerts'

export const DUTY_TOPIC = 'duty'
export const DUTY_READ = 'duty:read'
export const DUTY_MANAGE = 'duty:manage'

export const useDutyAlertsStore = defineStore('duty-alerts', () => {
  const open = shallowRef<DutyAlert[]>([])
  /** Bumped for each alert that newly needs attention (the banner chimes). */
  const fresh = ref(0)
  let cleanup: Array<() => void> = []
  let loading: Promise<void> | null = null

  function reload(): Promise<void> {
    loading ??= dutyApi
      .alerts(true)
      .then((list) => {
        open.value = sortAlerts(list.items.filter((a) => a.ended_at === null))
      })
      .catch(() => undefined)
      .finally(() => {
        loading = null
      })
    return loading
  }

  function apply(alert: DutyAlert): void {
    if (isFreshAlarm(open.value, alert)) fresh.value += 1
    open.value = applyAlert(open.value, alert)
  }

  function start(): void {
    if (cleanup.length > 0) return
    const realtime = getRealtime()
    cleanup = [
      realtime.subscribe(DUTY_TOPIC, (event) => {
        if (event.event === ALONE_EVENT) {
          const alert = alertFromEvent(event.data)
          if (alert) apply(alert)
          else void reload()
        } else if (event.event === 'lagged') {
          void reload()
        }
      }),
      watch(realtime.connected, (connected) => {
        if (connected) void reload()
      }),
    ]
    void reload()
  }

  function stop(): void {
    for (const fn of cleanup) fn()
    cleanup = []
    open.value = []
  }

  async function acknowledge(id: number): Promise<void> {
    const updated = await dutyApi.acknowledgeAlert(id)
    if (alertFromEvent(updated)) apply(updated)
    else await reload()
  }

  return { open, fresh, start, stop, reload, acknowledge }
})
