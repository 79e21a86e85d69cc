import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createI18n } from 'vue-i18n'
import en from '@/shared/i18n/en'
import zhCN from '@/shared/i18n/zh-CN'
import { PERSON_KINDS, ROLES } from '@/shared/types'

type Tree = { [key: string]: string | Tree }

/** Every leaf path (`a.b.c`) of a message tree, with its kind. */
function walk(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'string') out.set(path, value)
    else for (const [k, v] of walk(value, path)) out.set(k, v)
  }
  return out
}

const zhLeaves = walk(zhCN as unknown as Tree)
const enLeaves = walk(en as unknown as Tree)

function lookup(tree: Tree, path: string): string | Tree | undefined {
  let node: string | Tree | undefined = tree
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined
    node = node[part]
  }
  return node
}

describe('message catalogues', () => {
  it('zh-CN and en have exactly the same keys', () => {
    const zhKeys = [...zhLeaves.keys()].sort()
    const enKeys = [...enLeaves.keys()].sort()
    expect(enKeys.filter((k) => !zhLeaves.has(k))).toEqual([])
    expect(zhKeys.filter((k) => !enLeaves.has(k))).toEqual([])
    expect(enKeys).toEqual(zhKeys)
  })

  it('has no empty messages', () => {
    for (const [key, value] of [...zhLeaves, ...enLeaves]) {
      expect(value.trim(), key).not.toBe('')
    }
  })

  it('uses the same placeholders in both languages', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
    for (const [key, zh] of zhLeaves) {
      expect(placeholders(enLeaves.get(key) ?? ''), key).toEqual(placeholders(zh))
    }
  })

  it('labels every role and person kind', () => {
    for (const role of ROLES) {
      expect(zhLeaves.has(`roles.${role}`), role).toBe(true)
      expect(enLeaves.has(`roles.${role}`), role).toBe(true)
    }
    for (const kind of PERSON_KINDS) {
      expect(zhLeaves.has(`kinds.${kind}`), kind).toBe(true)
    }
    expect(zhLeaves.get('kinds.police')).toBe('民警')
    expect(zhLeaves.get('kinds.auxiliary')).toBe('辅警')
    expect(zhLeaves.get('kinds.public_welfare')).toBe('公益岗位')
    expect(zhLeaves.get('roles.operator')).toBe('值班员')
  })

  describe('every message compiles and renders', () => {
    const warnings: unknown[] = []
    beforeEach(() => {
      warnings.length = 0
      vi.spyOn(console, 'warn').mockImplementation((...args) => void warnings.push(args))
      vi.spyOn(console, 'error').mockImplementation((...args) => void warnings.push(args))
    })
    afterEach(() => {
      vi.restoreAllMocks()
    })

    for (const locale of ['zh-CN', 'en'] as const) {
      it(locale, () => {
        const i18n = createI18n({ legacy: false, locale, messages: { 'zh-CN': zhCN, en } })
        const leaves = locale === 'en' ? enLeaves : zhLeaves
        for (const [key, source] of leaves) {
          const params = Object.fromEntries([...source.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], 'X']))
          const text = i18n.global.t(key, params)
          expect(text, key).not.toBe(key)
          expect(text, key).not.toMatch(/[{}]/)
        }
        expect(warnings).toEqual([])
      })
    }
  })
})

describe('keys used in the source exist', () => {
  const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src')
  const namespaces = Object.keys(zhCN)

  function files(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) return files(path)
      return /\.(ts|vue)$/.test(name) && !path.includes(`${join('shared', 'i18n')}`) ? [path] : []
    })
  }

  it('resolves every quoted message key', () => {
    const missing: string[] = []
    let found = 0
    const keyPattern = new RegExp(`['"\`]((?:${namespaces.join('|')})(?:\\.[A-Za-z0-9_]+)+)['"\`]`, 'g')
    for (const file of files(srcDir)) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(keyPattern)) {
        const key = match[1]!
        found += 1
        if (lookup(zhCN as unknown as Tree, key) === undefined) missing.push(`${key} (${file})`)
      }
    }
    expect(found).toBeGreaterThan(100)
    expect(missing).toEqual([])
  })
})
