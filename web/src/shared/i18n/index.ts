import { computed } from 'vue'
import { createI18n } from 'vue-i18n'
import type { UiLocale } from '../api'
import en from './en'
import zhCN, { type Messages } from './zh-CN'

export const LOCALES: readonly UiLocale[] = ['zh-CN', 'en']
export const DEFAULT_LOCALE: UiLocale = 'zh-CN'
export const LOCALE_STORAGE_KEY = 'patrolgrid.locale'

export const messages: Record<UiLocale, Messages> = { 'zh-CN': zhCN, en }

export function isUiLocale(value: unknown): value is UiLocale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

/** The saved locale, or the default (Chinese) when nothing valid is saved. */
export function loadSavedLocale(): UiLocale {
  try {
    const saved = globalThis.localStorage?.getItem(LOCALE_STORAGE_KEY)
    if (isUiLocale(saved)) return saved
  } catch {
    // Storage can be unavailable (private mode, sandboxed frames): use the default.
  }
  return DEFAULT_LOCALE
}

export const i18n = createI18n<[Messages], UiLocale, false>({
  legacy: false,
  locale: loadSavedLocale(),
  fallbackLocale: DEFAULT_LOCALE,
  messages,
  missingWarn: import.meta.env.DEV,
  fallbackWarn: false,
})

export function currentLocale(): UiLocale {
  return i18n.global.locale.value
}

function applyDocumentLanguage(locale: UiLocale): void {
  if (typeof document !== 'undefined') document.documentElement.lang = locale
}

applyDocumentLanguage(currentLocale())

/** Switches the UI language and remembers the choice. */
export function setLocale(locale: UiLocale): void {
  i18n.global.locale.value = locale
  try {
    globalThis.localStorage?.setItem(LOCALE_STORAGE_KEY, locale)
  } catch {
    // Not persisted; the choice still holds for this page.
  }
  applyDocumentLanguage(locale)
}

export function toggleLocale(): void {
  setLocale(currentLocale() === 'zh-CN' ? 'en' : 'zh-CN')
}

/** The current locale as a computed ref, for templates and Element Plus' config provider. */
export const localeRef = computed<UiLocale>(() => i18n.global.locale.value)
