/**
 * Element Plus form rules whose messages are looked up when validation runs, so they follow the
 * current UI language.
 */
import type { FormItemRule } from 'element-plus'
import { i18n } from './i18n'
import { isValidMobile } from './validators'

type Validator = NonNullable<FormItemRule['validator']>

function rule(validator: Validator, trigger: FormItemRule['trigger'] = 'blur'): FormItemRule {
  return { validator, trigger }
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '')
}

/** Required text; `fieldKey` is the i18n key of the field's label. */
export function required(fieldKey: string): FormItemRule {
  return rule((_r, value, callback) => {
    if (isBlank(value)) callback(new Error(i18n.global.t('validation.required', { field: i18n.global.t(fieldKey) })))
    else callback()
  })
}

/** Required choice (select, radio). */
export function requiredChoice(fieldKey: string): FormItemRule {
  return rule((_r, value, callback) => {
    if (isBlank(value)) callback(new Error(i18n.global.t('validation.select', { field: i18n.global.t(fieldKey) })))
    else callback()
  }, 'change')
}

export function maxLength(fieldKey: string, n: number): FormItemRule {
  return rule((_r, value, callback) => {
    if (typeof value === 'string' && value.trim().length > n) {
      callback(new Error(i18n.global.t('validation.maxLength', { field: i18n.global.t(fieldKey), n })))
    } else callback()
  })
}

/** A Chinese mobile number (empty passes; combine with `required` when needed). */
export function mobile(): FormItemRule {
  return rule((_r, value, callback) => {
    if (isBlank(value) || isValidMobile(String(value))) callback()
    else callback(new Error(i18n.global.t('validation.mobile')))
  })
}

export function pattern(re: RegExp, messageKey: string): FormItemRule {
  return rule((_r, value, callback) => {
    if (isBlank(value) || re.test(String(value).trim())) callback()
    else callback(new Error(i18n.global.t(messageKey)))
  })
}

export function minLength(n: number, messageKey: string): FormItemRule {
  return rule((_r, value, callback) => {
    if (typeof value === 'string' && value.length > 0 && value.length < n) {
      callback(new Error(i18n.global.t(messageKey, { n })))
    } else callback()
  })
}

/** Equal to another field's current value. */
export function sameAs(other: () => unknown, messageKey: string): FormItemRule {
  return rule((_r, value, callback) => {
    if (value !== other()) callback(new Error(i18n.global.t(messageKey)))
    else callback()
  })
}
