import { ElMessage } from 'element-plus'
import { ApiError, AUTH_REQUIRED, NETWORK_ERROR, fieldErrors } from './api'
import { currentLocale, i18n } from './i18n'

/** A human message for any error, in the current UI language. */
export function describeError(error: unknown): string {
  const t = i18n.global.t
  if (error instanceof ApiError) {
    const text = error.localized(currentLocale())
    if (text) return text
    if (error.code === NETWORK_ERROR) return t('errors.network')
    if (error.status === 403) return t('errors.forbidden')
    return t('errors.http', { status: error.status })
  }
  return t('errors.unknown')
}

/**
 * Shows an error as a toast. An expired session is not shown: the app is already on its way to
 * the login page. Aborted requests are ignored.
 */
export function toastError(error: unknown): void {
  if (error instanceof DOMException && error.name === 'AbortError') return
  if (error instanceof ApiError && error.status === 401 && error.code === AUTH_REQUIRED) return
  if (!(error instanceof ApiError)) console.error(error)
  ElMessage({ type: 'error', message: describeError(error), grouping: true, showClose: true })
}

/**
 * Shows a failed form save where the user will look: field errors (a 422, plus any error code in
 * `onField`, such as a taken badge number, mapped to its field) go into `target` for the form
 * items; anything else becomes a toast.
 */
export function showFormError(
  error: unknown,
  target: Record<string, string>,
  onField: Record<string, string> = {},
): void {
  const fields = fieldErrors(error, currentLocale())
  if (error instanceof ApiError && error.code in onField) {
    fields[onField[error.code]] = error.localized(currentLocale()) ?? ''
  }
  if (Object.keys(fields).length > 0) Object.assign(target, fields)
  else toastError(error)
}
