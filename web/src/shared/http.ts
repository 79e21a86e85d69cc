/** The app-wide API client, speaking the current UI language. */
import { createApiClient } from './api'
import { currentLocale } from './i18n'

export const api = createApiClient({ getLocale: currentLocale })
