import { computed } from 'vue'
import en from 'element-plus/es/locale/lang/en'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import { localeRef } from './i18n'

/** Element Plus' own texts (pagination, dialogs, date pickers) following the UI language. */
export const elementLocale = computed(() => (localeRef.value === 'en' ? en : zhCn))
