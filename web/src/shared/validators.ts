/**
 * Mainland China mobile numbers: 11 digits, starting 13–19, optionally prefixed with the country
 * code (`+86`, `86` is not accepted without the plus). A space or hyphen may follow `+86`.
 */
export const MOBILE_PATTERN = /^(?:\+86[ -]?)?1[3-9]\d{9}$/

export function isValidMobile(value: string | null | undefined): boolean {
  if (typeof value !== 'string') return false
  return MOBILE_PATTERN.test(value.trim())
}

/** Usernames: letters, digits, `_`, `.`, `-`; 2–64 characters. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{2,64}$/

export const MIN_PASSWORD_LENGTH = 8

/** Squadron codes: letters, digits, `_` and `-`. */
export const CODE_PATTERN = /^[A-Za-z0-9_-]+$/
