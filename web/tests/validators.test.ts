import { describe, expect, it } from 'vitest'
import { isValidMobile, USERNAME_PATTERN } from '@/shared/validators'

describe('isValidMobile', () => {
  it.each(['13800138000', '19912345678', '15000000000', '+8613800138000', '+86 13800138000', '+86-13800138000', ' 13800138000 '])(
    'accepts %s',
    (value) => {
      expect(isValidMobile(value)).toBe(true)
    },
  )

  it.each([
    '',
    '12800138000', // second digit 2
    '10800138000',
    '1380013800', // 10 digits
    '138001380000', // 12 digits
    '8613800138000', // country code without +
    '+8512800138000',
    '+86 12800138000',
    '138-0013-8000',
    '1380013800a',
    '023-12345678', // landline
    '+1 13800138000',
  ])('rejects %s', (value) => {
    expect(isValidMobile(value)).toBe(false)
  })

  it('rejects non-strings', () => {
    expect(isValidMobile(null)).toBe(false)
    expect(isValidMobile(undefined)).toBe(false)
  })
})

describe('USERNAME_PATTERN', () => {
  it('accepts ordinary login names', () => {
    expect(USERNAME_PATTERN.test('zhang.wei')).toBe(true)
    expect(USERNAME_PATTERN.test('op_01')).toBe(true)
  })
  it('rejects spaces and one-letter names', () => {
    expect(USERNAME_PATTERN.test('zhang wei')).toBe(false)
    expect(USERNAME_PATTERN.test('a')).toBe(false)
  })
})
