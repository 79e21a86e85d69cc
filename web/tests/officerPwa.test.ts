import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  asClassicScript,
  crc32,
  encodePng,
  iconPng,
  iconSvg,
  PNG_ICONS,
  reachableFiles,
  swPrelude,
  type BundleFile,
} from '../build/officerPwa'

const webRoot = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Width, height and RGBA pixels of a PNG written by encodePng (no filters, one IDAT). */
function decodePng(png: Buffer): { width: number; height: number; pixel: (x: number, y: number) => number[] } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  let offset = 8
  let width = 0
  let height = 0
  const idat: Buffer[] = []
  while (offset < png.length) {
    const length = png.readUInt32BE(offset)
    const type = png.toString('ascii', offset + 4, offset + 8)
    const data = png.subarray(offset + 8, offset + 8 + length)
    expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)))
    if (type === 'IHDR') {
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      expect([data[8], data[9]]).toEqual([8, 6])
    }
    if (type === 'IDAT') idat.push(data)
    offset += 12 + length
  }
  const raw = inflateSync(Buffer.concat(idat))
  expect(raw.length).toBe((width * 4 + 1) * height)
  return {
    width,
    height,
    pixel: (x, y) => [...raw.subarray(y * (width * 4 + 1) + 1 + x * 4, y * (width * 4 + 1) + 1 + x * 4 + 4)],
  }
}

describe('officer app icons', () => {
  it('writes valid PNGs of the declared sizes with the mark in the middle', () => {
    for (const spec of PNG_ICONS) {
      const png = decodePng(iconPng(spec))
      expect([png.width, png.height], spec.name).toEqual([spec.size, spec.size])
      const c = Math.floor(spec.size / 2)
      // The centre is the highlighted (yellow) grid cell.
      expect(png.pixel(c, c)).toEqual([0xff, 0xd2, 0x4a, 255])
      // A rounded tile has transparent corners; a maskable one is full bleed (navy).
      expect(png.pixel(0, 0), spec.name).toEqual(spec.maskable ? [0x0f, 0x25, 0x47, 255] : [0, 0, 0, 0])
    }
  })

  it('encodes a tiny image exactly', () => {
    const png = decodePng(encodePng(2, 1, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])))
    expect(png.pixel(0, 0)).toEqual([1, 2, 3, 4])
    expect(png.pixel(1, 0)).toEqual([5, 6, 7, 8])
  })

  it('has an SVG version without external references', () => {
    const svg = iconSvg()
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg).toContain('#ffd24a')
    expect(svg).not.toMatch(/href|https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
  })
})

describe('manifest and page', () => {
  const manifest = JSON.parse(readFileSync(join(webRoot, 'public/m/manifest.webmanifest'), 'utf8')) as {
    name: string
    short_name: string
    start_url: string
    scope: string
    display: string
    theme_color: string
    background_color: string
    icons: { src: string; sizes: string; type: string; purpose: string }[]
  }

  it('describes an installable app scoped to /m/', () => {
    expect(manifest.short_name).toBe('路警助手')
    expect(manifest.name).toContain('路警助手')
    expect(manifest.name).toContain('patrolgrid officer')
    expect(manifest).toMatchObject({ start_url: '/m/', scope: '/m/', display: 'standalone' })
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i)
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i)
  })

  it('lists only icons the build generates, including 192, 512 and maskable', () => {
    const generated = new Set(['/m/icons/icon.svg', ...PNG_ICONS.map((s) => `/m/icons/${s.name}`)])
    for (const icon of manifest.icons) expect(generated.has(icon.src), icon.src).toBe(true)
    const sizes = manifest.icons.filter((i) => i.type === 'image/png').map((i) => `${i.sizes}:${i.purpose}`)
    expect(sizes).toEqual(expect.arrayContaining(['192x192:any', '512x512:any', '512x512:maskable']))
  })

  it('is linked from the officer page', () => {
    const html = readFileSync(join(webRoot, 'm/index.html'), 'utf8')
    expect(html).toContain('<link rel="manifest" href="/m/manifest.webmanifest" />')
    expect(html).toContain('/m/icons/apple-touch-icon.png')
  })
})

describe('service worker build', () => {
  const files: BundleFile[] = [
    {
      fileName: 'm/index.html',
      content: '<script src="/assets/officer-a1.js"></script><link href="/assets/officer-b2.css">',
    },
    { fileName: 'index.html', content: '<script src="/assets/console-c3.js"></script>' },
    {
      fileName: 'assets/officer-a1.js',
      content: 'import "./vue-d4.js";const m=()=>import("./HomeView-e5.js");',
    },
    { fileName: 'assets/officer-b2.css', content: '.x{background:url(./bg-f6.png)}' },
    { fileName: 'assets/bg-f6.png', content: new Uint8Array([1, 2, 3]) },
    { fileName: 'assets/vue-d4.js', content: 'export const v=1' },
    { fileName: 'assets/HomeView-e5.js', content: 'const w=new URL("/assets/worker-g7.js",import.meta.url)' },
    { fileName: 'assets/worker-g7.js', content: 'self.onmessage=()=>{}' },
    { fileName: 'assets/console-c3.js', content: 'import "./vue-d4.js";import("./MapView-h8.js")' },
    { fileName: 'assets/MapView-h8.js', content: '' },
  ]

  it('precaches what the officer page reaches, and nothing of the console', () => {
    expect(reachableFiles(files, 'm/index.html')).toEqual([
      'assets/HomeView-e5.js',
      'assets/bg-f6.png',
      'assets/officer-a1.js',
      'assets/officer-b2.css',
      'assets/vue-d4.js',
      'assets/worker-g7.js',
      'm/index.html',
    ])
    expect(() => reachableFiles(files, 'm/missing.html')).toThrow()
  })

  it('turns the worker into a classic script with the list in front', () => {
    const script = asClassicScript('const a = 1;\nexport {};\n')
    expect(script).toContain('const a = 1;')
    expect(script).not.toContain('export')
    expect(() => asClassicScript('import x from "y";\n')).toThrow()
    const prelude = swPrelude(['/m/index.html'], 'abc')
    const values = new Function(`${prelude}; return [__SW_VERSION__, __PRECACHE__]`)() as unknown[]
    expect(values).toEqual(['abc', ['/m/index.html']])
  })

  it('keeps the worker source free of imports (it is not bundled)', () => {
    const source = readFileSync(join(webRoot, 'src/officer/pwa/sw.ts'), 'utf8')
    expect(source).not.toMatch(/^\s*import\s/m)
    expect(source).toContain("scope `/m/`")
  })
})
