/**
 * Build support for the officer app as an installable PWA (a small Vite plugin instead of
 * vite-plugin-pwa: the build has two apps, and only the officer app's files may be precached,
 * which needs the chunk graph from the officer entry; workbox would also add a large build-time
 * dependency tree for a ~100-line worker).
 *
 * At build time it emits
 * - `m/icons/*` — the icons, drawn in code (below), and
 * - `m/sw.js` — src/officer/pwa/sw.ts with its types stripped, preceded by the precache list
 *   (every file reachable from `m/index.html`, plus the public files under `m/` and the favicon)
 *   and a version hash of those files' contents.
 * In the dev server it serves the icons (there is no service worker in development).
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, posix, relative } from 'node:path'
import { deflateSync } from 'node:zlib'
import type { Plugin } from 'vite'
import { transformWithOxc } from 'vite'

// ---- Icons ----------------------------------------------------------------------------------

/**
 * The officer app's icons, drawn in code at build time: the patrolgrid mark (the shield with the
 * 3×3 patrol grid and one highlighted cell, as in `src/shared/components/BrandMark.vue`) on a navy
 * tile. One description of the shapes gives both the SVG icon and the PNGs (rasterised here with
 * 4×4 supersampling and written as PNG with node:zlib), so the repository holds no image files.
 */

type Point = [number, number]
type Rgb = [number, number, number]

const NAVY: Rgb = [0x0f, 0x25, 0x47]
const SHIELD_TOP: Rgb = [0x3b, 0x8c, 0xff]
const SHIELD_BOTTOM: Rgb = [0x14, 0x50, 0xb8]
const CELL: Rgb = [0xff, 0xd2, 0x4a]
const GRID_ALPHA = 0.55

/** The mark in its 32×32 design space (BrandMark.vue). */
const SHIELD_PATH: Point[] = (() => {
  const points: Point[] = [
    [16, 2],
    [28, 6],
    [28, 15],
  ]
  const cubic = (p0: Point, p1: Point, p2: Point, p3: Point) => {
    for (let i = 1; i <= 24; i += 1) {
      const t = i / 24
      const u = 1 - t
      points.push([
        u * u * u * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t * t * t * p3[0],
        u * u * u * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t * t * t * p3[1],
      ])
    }
  }
  cubic([28, 15], [28, 22.5], [22.8, 27.6], [16, 30])
  cubic([16, 30], [9.2, 27.6], [4, 22.5], [4, 15])
  points.push([4, 6])
  return points
})()

/** Grid lines as rectangles [x0, y0, x1, y1] (stroke width 1.2). */
const GRID_LINES: [number, number, number, number][] = [
  [11.4, 8, 12.6, 25],
  [19.4, 8, 20.6, 25],
  [7.5, 11.9, 24.5, 13.1],
  [7.5, 17.9, 24.5, 19.1],
]
const CELL_RECT: [number, number, number, number] = [12.6, 13.1, 19.4, 17.9]

export interface IconSpec {
  /** Output file name under /m/icons/. */
  name: string
  size: number
  /** Maskable: full-bleed background, mark inside the safe zone; else a rounded tile. */
  maskable: boolean
}

export const PNG_ICONS: readonly IconSpec[] = [
  { name: 'icon-192.png', size: 192, maskable: false },
  { name: 'icon-512.png', size: 512, maskable: false },
  { name: 'maskable-512.png', size: 512, maskable: true },
  // iOS ignores the manifest's icons and does its own rounding: a full-bleed tile.
  { name: 'apple-touch-icon.png', size: 180, maskable: true },
]

/** Where the 32-unit mark sits on a unit tile: scale and offset (fractions of the tile). */
function layout(maskable: boolean): { scale: number; offset: number; radius: number } {
  // The maskable safe zone is the central 80 % circle; keep the mark well inside it.
  const markFraction = maskable ? 0.56 : 0.72
  return { scale: markFraction / 32, offset: (1 - markFraction) / 2, radius: maskable ? 0 : 0.18 }
}

/** The x ranges (pairs) where the horizontal line at `y` is inside `polygon` (even-odd). */
function spans(y: number, polygon: Point[]): number[] {
  const xs: number[] = []
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i, i += 1) {
    const [xi, yi] = polygon[i]!
    const [xj, yj] = polygon[j]!
    if (yi > y !== yj > y) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi)
  }
  return xs.sort((a, b) => a - b)
}

function inSpans(x: number, xs: number[]): boolean {
  for (let i = 0; i + 1 < xs.length; i += 2) if (x >= xs[i]! && x <= xs[i + 1]!) return true
  return false
}

function insideRoundedRect(x: number, y: number, radius: number): boolean {
  if (x < 0 || y < 0 || x > 1 || y > 1) return false
  if (radius <= 0) return true
  const cx = Math.min(Math.max(x, radius), 1 - radius)
  const cy = Math.min(Math.max(y, radius), 1 - radius)
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius
}

const inRect = (x: number, y: number, r: [number, number, number, number]) =>
  x >= r[0] && x <= r[2] && y >= r[1] && y <= r[3]

/**
 * RGBA pixels (row-major, 4 bytes each) of an icon: painted back to front (tile, shield with its
 * vertical gradient, translucent grid lines, the highlighted cell), `samples`² samples per pixel.
 */
export function renderIcon(size: number, maskable: boolean, samples = 4): Uint8Array {
  const { scale, offset, radius } = layout(maskable)
  const out = new Uint8Array(size * size * 4)
  const n = samples * samples
  const acc = new Float64Array(size * 4) // one pixel row: r, g, b (premultiplied) and coverage
  for (let py = 0; py < size; py += 1) {
    acc.fill(0)
    for (let sy = 0; sy < samples; sy += 1) {
      const y = (py + (sy + 0.5) / samples) / size
      const my = (y - offset) / scale
      const shield = my >= 2 && my <= 30 ? spans(my, SHIELD_PATH) : []
      const t = (my - 2) / 28
      const sr = (SHIELD_TOP[0] + (SHIELD_BOTTOM[0] - SHIELD_TOP[0]) * t) / 255
      const sg = (SHIELD_TOP[1] + (SHIELD_BOTTOM[1] - SHIELD_TOP[1]) * t) / 255
      const sb = (SHIELD_TOP[2] + (SHIELD_BOTTOM[2] - SHIELD_TOP[2]) * t) / 255
      for (let px = 0; px < size; px += 1) {
        for (let sx = 0; sx < samples; sx += 1) {
          const x = (px + (sx + 0.5) / samples) / size
          if (!insideRoundedRect(x, y, radius)) continue
          const mx = (x - offset) / scale
          let r = NAVY[0] / 255
          let g = NAVY[1] / 255
          let b = NAVY[2] / 255
          if (inSpans(mx, shield)) {
            r = sr
            g = sg
            b = sb
          }
          if (GRID_LINES.some((line) => inRect(mx, my, line))) {
            r += (1 - r) * GRID_ALPHA
            g += (1 - g) * GRID_ALPHA
            b += (1 - b) * GRID_ALPHA
          }
          if (inRect(mx, my, CELL_RECT)) {
            r = CELL[0] / 255
            g = CELL[1] / 255
            b = CELL[2] / 255
          }
          const i = px * 4
          acc[i] += r
          acc[i + 1] += g
          acc[i + 2] += b
          acc[i + 3] += 1
        }
      }
    }
    for (let px = 0; px < size; px += 1) {
      const i = px * 4
      const a = acc[i + 3]!
      const o = (py * size + px) * 4
      out[o] = a > 0 ? Math.round((acc[i]! / a) * 255) : 0
      out[o + 1] = a > 0 ? Math.round((acc[i + 1]! / a) * 255) : 0
      out[o + 2] = a > 0 ? Math.round((acc[i + 2]! / a) * 255) : 0
      out[o + 3] = Math.round((a / n) * 255)
    }
  }
  return out
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n += 1) {
    let c = n
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'ascii')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0)
  return Buffer.concat([head, data, crc])
}

/** A truecolour-with-alpha PNG (8 bits per channel, no filtering). */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8 // bit depth
  header[9] = 6 // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height)
  for (let y = 0; y < height; y += 1) {
    raw[y * (width * 4 + 1)] = 0 // filter: none
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ])
}

export function iconPng(spec: IconSpec): Buffer {
  return encodePng(spec.size, spec.size, renderIcon(spec.size, spec.maskable))
}

/** The same icon as SVG (the manifest's scalable "any" icon). */
export function iconSvg(): string {
  const { scale, offset, radius } = layout(false)
  const size = 512
  const k = scale * size
  const o = offset * size
  const hex = (c: Rgb) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`
  const at = (v: number) => (v * k + o).toFixed(2)
  const len = (v: number) => (v * k).toFixed(2)
  const path = `M${SHIELD_PATH.map(([x, y]) => `${at(x)} ${at(y)}`).join(' L')} Z`
  const rect = ([x0, y0, x1, y1]: number[], fill: string, extra = '') =>
    `<rect x="${at(x0!)}" y="${at(y0!)}" width="${len(x1! - x0!)}" height="${len(y1! - y0!)}" ` +
    `fill="${fill}"${extra}/>`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}">`,
    '<defs><linearGradient id="s" x1="0" y1="0" x2="0" y2="1">',
    `<stop offset="0" stop-color="${hex(SHIELD_TOP)}"/>`,
    `<stop offset="1" stop-color="${hex(SHIELD_BOTTOM)}"/>`,
    '</linearGradient></defs>',
    `<rect width="${size}" height="${size}" rx="${radius * size}" fill="${hex(NAVY)}"/>`,
    `<path d="${path}" fill="url(#s)"/>`,
    ...GRID_LINES.map((r) => rect(r, '#ffffff', ` fill-opacity="${GRID_ALPHA}"`)),
    rect(CELL_RECT, hex(CELL)),
    '</svg>',
  ].join('')
}

// ---- Precache list and service worker -----------------------------------------------------------

export interface BundleFile {
  fileName: string
  /** Text of a chunk, or the source of an asset. */
  content: string | Uint8Array
}

const TEXT_FILE = /\.(html|m?js|css|json|webmanifest)$/

function textOf(file: BundleFile): string | null {
  if (!TEXT_FILE.test(file.fileName)) return null
  return typeof file.content === 'string' ? file.content : Buffer.from(file.content).toString('utf8')
}

/**
 * The files reachable from `entry`: a file is reachable when the text of a reachable HTML, script
 * or style file mentions its file name (entry scripts, modulepreloads, dynamic imports and their
 * preload lists, CSS, workers and other assets are all referenced by name, and Vite's names carry
 * a content hash, so a mention is never accidental). Sorted.
 */
export function reachableFiles(files: readonly BundleFile[], entry: string): string[] {
  const byName = new Map(files.map((f) => [f.fileName, f]))
  if (!byName.has(entry)) throw new Error(`officer PWA: ${entry} is not in the bundle`)
  // Pages are entries, never referenced (and `index.html` is too common a string to search for).
  const names = files
    .filter((f) => !f.fileName.endsWith('.html'))
    .map((f) => ({ fileName: f.fileName, base: posix.basename(f.fileName) }))
  const seen = new Set<string>([entry])
  const queue = [entry]
  while (queue.length > 0) {
    const text = textOf(byName.get(queue.shift()!)!)
    if (text === null) continue
    for (const { fileName, base } of names) {
      if (!seen.has(fileName) && text.includes(base)) {
        seen.add(fileName)
        queue.push(fileName)
      }
    }
  }
  return [...seen].sort()
}

/** Files under `dir` (recursively), as paths relative to `root` with forward slashes. */
function listFiles(root: string, dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return listFiles(root, path)
    return [relative(root, path).split('\\').join('/')]
  })
}

/** The script that precedes the worker's code. */
export function swPrelude(urls: readonly string[], version: string): string {
  return (
    `// patrolgrid officer app service worker (generated by web/build/officerPwa.ts)\n` +
    `const __SW_VERSION__ = ${JSON.stringify(version)};\n` +
    `const __PRECACHE__ = ${JSON.stringify(urls, null, 1)};\n`
  )
}

/** Removes the `export {}` that only makes the TypeScript source a module. */
export function asClassicScript(code: string): string {
  const out = code.replace(/^\s*export\s*\{\s*\}\s*;?\s*$/gm, '')
  if (/^\s*(import|export)\b/m.test(out)) {
    throw new Error('officer PWA: the service worker must not import or export anything')
  }
  return out
}

export interface OfficerPwaOptions {
  /** web/ */
  root: string
  /** The HTML entry of the officer app in the bundle. */
  entry?: string
}

export function officerPwa(options: OfficerPwaOptions): Plugin {
  const entry = options.entry ?? 'm/index.html'
  const swSource = join(options.root, 'src/officer/pwa/sw.ts')
  const publicDir = join(options.root, 'public')
  const icons = new Map<string, Buffer | string>()
  const icon = (name: string): Buffer | string | undefined => {
    if (!icons.has(name)) {
      if (name === 'icon.svg') icons.set(name, iconSvg())
      const spec = PNG_ICONS.find((s) => s.name === name)
      if (spec) icons.set(name, iconPng(spec))
    }
    return icons.get(name)
  }
  const iconNames = ['icon.svg', ...PNG_ICONS.map((s) => s.name)]

  return {
    name: 'patrolgrid-officer-pwa',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const match = /^\/m\/icons\/([\w.-]+)$/.exec((req.url ?? '').split('?')[0] ?? '')
        const body = match ? icon(match[1]!) : undefined
        if (!body) return next()
        res.setHeader('Content-Type', match![1]!.endsWith('.svg') ? 'image/svg+xml' : 'image/png')
        res.end(body)
      })
    },
    generateBundle: {
      order: 'post',
      async handler(_output, bundle) {
        for (const name of iconNames) {
          this.emitFile({ type: 'asset', fileName: `m/icons/${name}`, source: icon(name)! })
        }
        const files: BundleFile[] = Object.values(bundle).map((item) => ({
          fileName: item.fileName,
          content: item.type === 'chunk' ? item.code : item.source,
        }))
        const built = reachableFiles(files, entry)
        const publicFiles = [
          ...listFiles(publicDir, join(publicDir, 'm')),
          ...(existsSync(join(publicDir, 'favicon.svg')) ? ['favicon.svg'] : []),
        ]
        const iconFiles = iconNames.map((name) => `m/icons/${name}`)
        const precached = [...new Set([...built, ...publicFiles, ...iconFiles])].sort()

        const source = readFileSync(swSource, 'utf8')
        const hash = createHash('sha256').update(source)
        for (const name of precached) {
          hash.update(name)
          const inBundle = files.find((f) => f.fileName === name)
          if (inBundle) hash.update(inBundle.content)
          else if (name.startsWith('m/icons/')) hash.update(icon(name.slice('m/icons/'.length))!)
          else hash.update(readFileSync(join(publicDir, name)))
        }
        const version = hash.digest('hex').slice(0, 16)

        const { code } = await transformWithOxc(source, swSource, { lang: 'ts' })
        this.emitFile({
          type: 'asset',
          fileName: 'm/sw.js',
          source: swPrelude(
            precached.map((name) => `/${name}`),
            version,
          ) + asClassicScript(code),
        })
      },
    },
  }
}
