/** The page's one tracking engine, wired to the browser (see `tracker.ts`). */
import { ElMessage } from 'element-plus'
import { currentLocale } from '@/shared/i18n'
import type { LocalizedText } from '@/shared/types'
import { browserDeps, OfficerTracker } from './tracker'

let tracker: OfficerTracker | null = null

/** A server message in the UI language. */
export function localizedText(message: LocalizedText | string): string {
  if (typeof message === 'string') return message
  return (currentLocale() === 'en' ? message.en : message.zh) || message.zh || message.en
}

export function getTracker(): OfficerTracker {
  if (!tracker) {
    const created = new OfficerTracker(
      browserDeps((kind, message) => {
        ElMessage({ type: kind, message: localizedText(message), grouping: true, showClose: true })
      }),
    )
    tracker = created
    if (typeof window !== 'undefined') {
      window.addEventListener('online', () => created.setBrowserOnline(true))
      window.addEventListener('offline', () => created.setBrowserOnline(false))
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') created.resume()
      })
    }
  }
  return tracker
}

/** The tracking engine if this page started one (without starting it). */
export function peekTracker(): OfficerTracker | null {
  return tracker
}
