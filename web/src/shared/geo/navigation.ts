/**
 * Navigation links to Amap (高德) and Baidu Maps (百度地图) for any WGS-84 point, built in the
 * browser for places the server has not linked (a colleague's SOS position that keeps moving).
 * The same URLs as the server's `geo/coords.py` (`amap_navigation_url`, `baidu_navigation_url`):
 * Amap wants GCJ-02 `lon,lat,name`; Baidu wants BD-09 `latlng:lat,lon|name:…` and an origin
 * (without one, its marker page).
 */
import { wgs84ToBd09, wgs84ToGcj02 } from './coords'

type LonLat = [number, number]

const DECIMALS = 6

function fmt(value: number): string {
  return value.toFixed(DECIMALS)
}

/** Percent-encoding like Python's `urllib.parse.quote(value, safe=…)`. */
function quote(value: string, safe: string): string {
  let out = encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  for (const c of safe) out = out.split(encodeURIComponent(c)).join(c)
  return out
}

function query(params: [string, string][], safe: string): string {
  return params.map(([k, v]) => `${quote(k, safe)}=${quote(v, safe)}`).join('&')
}

export function amapNavigationUrl(to: LonLat, name: string, origin: LonLat | null = null, originName = '我的位置'): string {
  const [toLon, toLat] = wgs84ToGcj02(to)
  const params: [string, string][] = []
  if (origin) {
    const [fromLon, fromLat] = wgs84ToGcj02(origin)
    params.push(['from', `${fmt(fromLon)},${fmt(fromLat)},${originName.replace(/,/g, ' ')}`])
  }
  params.push(['to', `${fmt(toLon)},${fmt(toLat)},${name.replace(/,/g, ' ')}`])
  params.push(['mode', 'car'], ['policy', '0'], ['src', 'patrolgrid'], ['callnative', '1'])
  return `https://uri.amap.com/navigation?${query(params, ',')}`
}

export function baiduNavigationUrl(to: LonLat, name: string, origin: LonLat | null = null, originName = '我的位置'): string {
  const [toLon, toLat] = wgs84ToBd09(to)
  const clean = (s: string) => s.replace(/\|/g, ' ')
  const common: [string, string][] = [
    ['coord_type', 'bd09ll'],
    ['output', 'html'],
    ['src', 'webapp.patrolgrid.patrolgrid'],
  ]
  if (!origin) {
    const params: [string, string][] = [
      ['location', `${fmt(toLat)},${fmt(toLon)}`],
      ['title', clean(name)],
      ['content', clean(name)],
      ...common,
    ]
    return `https://api.map.baidu.com/marker?${query(params, ',:|')}`
  }
  const [fromLon, fromLat] = wgs84ToBd09(origin)
  const params: [string, string][] = [
    ['origin', `latlng:${fmt(fromLat)},${fmt(fromLon)}|name:${clean(originName)}`],
    ['destination', `latlng:${fmt(toLat)},${fmt(toLon)}|name:${clean(name)}`],
    ['mode', 'driving'],
    ...common,
  ]
  return `https://api.map.baidu.com/direction?${query(params, ',:|')}`
}
