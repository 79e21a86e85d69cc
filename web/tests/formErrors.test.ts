import { describe, expect, it, vi } from 'vitest'

const toasts: unknown[] = []
vi.mock('element-plus', () => ({ ElMessage: (m: unknown) => toasts.push(m) }))

const { ApiError } = await import('@/shared/api')
const { showFormError } = await import('@/shared/errors')

const validation = new ApiError(422, 'validation_error', { zh: '提交的数据有误', en: 'Invalid' }, [
  { loc: ['body', 'mobile'], code: 'org.bad_mobile', message: { zh: '手机号码格式不正确', en: 'Bad mobile' } },
])
const taken = new ApiError(409, 'org.badge_taken', { zh: '警号已存在', en: 'Badge taken' }, null)

describe('showFormError', () => {
  it('puts validation errors on their fields', () => {
    const target: Record<string, string> = {}
    showFormError(validation, target)
    expect(target).toEqual({ mobile: '手机号码格式不正确' })
  })

  it('maps a named conflict code onto its field, and toasts anything else', () => {
    const target: Record<string, string> = {}
    showFormError(taken, target, { 'org.badge_taken': 'badge_no' })
    expect(target).toEqual({ badge_no: '警号已存在' })
    toasts.length = 0
    showFormError(taken, target)
    expect(toasts).toHaveLength(1)
  })
})
