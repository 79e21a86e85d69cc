/** The STUN/TURN servers for WebRTC (`GET /api/command/rtc-config`), fetched once per page. */
import { commandApi } from './api'

let cached: { at: number; servers: RTCIceServer[] } | null = null
const KEEP_MS = 10 * 60 * 1000

/** The configured ICE servers; none on a LAN or loopback (host candidates are enough there). */
export async function iceServers(): Promise<RTCIceServer[]> {
  if (cached && Date.now() - cached.at < KEEP_MS) return cached.servers
  const { ice_servers: servers } = await commandApi.rtcConfig({ skipAuthRedirect: true })
  cached = { at: Date.now(), servers }
  return servers
}
