/**
 * WebRTC signalling messages and the decisions around them, as plain data (unit-tested).
 *
 * The server relays `{type: "rtc", room, to, signal}` to one other account in the room and hands
 * it over as `{room, from, from_name, signal}` on the receiver's personal topic; it never looks
 * inside `signal`. Every signal belongs to one **session**: one RTCPeerConnection between two
 * endpoints, named by a random id chosen by the side that opened it. A new session from the same
 * peer (a reload, a restart after a failure) replaces the old one where the room allows one link
 * per peer. Version 1 payloads:
 *
 *   {v: 1, session, kind: "description", description: {type: "offer" | "answer", sdp}}
 *   {v: 1, session, kind: "candidate", candidate: RTCIceCandidateInit}
 *   {v: 1, session, kind: "bye"}      the sender closed this session
 *   {v: 1, session, kind: "hello"}    "I am in the call: open a session to me" (mesh rooms)
 *
 * Within a session both ends follow the "perfect negotiation" pattern (W3C WebRTC 1.0, §10.7):
 * the side that opened the session is impolite, the other polite, so either may renegotiate
 * (e.g. a camera switched on later) and colliding offers resolve themselves. An SFU can later
 * join a room as one more account and speak exactly these messages: every participant then
 * keeps one session to the SFU instead of one per other participant (docs/command.md).
 */

export const SIGNAL_VERSION = 1

export type SignalKind = 'description' | 'candidate' | 'bye' | 'hello'

export interface DescriptionSignal {
  v: 1
  session: string
  kind: 'description'
  description: { type: 'offer' | 'answer'; sdp: string }
}

export interface CandidateSignal {
  v: 1
  session: string
  kind: 'candidate'
  candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null; usernameFragment?: string | null }
}

export interface ByeSignal {
  v: 1
  session: string
  kind: 'bye'
}

export interface HelloSignal {
  v: 1
  session: string
  kind: 'hello'
}

export type Signal = DescriptionSignal | CandidateSignal | ByeSignal | HelloSignal

/** The message a client sends for the server to relay. */
export interface RtcOutgoing {
  type: 'rtc'
  id: string
  room: string
  to: number
  signal: Signal
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

const SESSION = /^[A-Za-z0-9_-]{4,64}$/

/** A valid signal, or null for anything malformed or of another version (ignored, never thrown). */
export function parseSignal(raw: unknown): Signal | null {
  if (!isRecord(raw) || raw.v !== SIGNAL_VERSION) return null
  const session = raw.session
  if (typeof session !== 'string' || !SESSION.test(session)) return null
  switch (raw.kind) {
    case 'description': {
      const d = raw.description
      if (!isRecord(d) || (d.type !== 'offer' && d.type !== 'answer') || typeof d.sdp !== 'string') return null
      return { v: 1, session, kind: 'description', description: { type: d.type, sdp: d.sdp } }
    }
    case 'candidate': {
      const c = raw.candidate
      if (!isRecord(c) || typeof c.candidate !== 'string') return null
      return {
        v: 1,
        session,
        kind: 'candidate',
        candidate: {
          candidate: c.candidate,
          sdpMid: typeof c.sdpMid === 'string' ? c.sdpMid : null,
          sdpMLineIndex: typeof c.sdpMLineIndex === 'number' ? c.sdpMLineIndex : null,
          usernameFragment: typeof c.usernameFragment === 'string' ? c.usernameFragment : null,
        },
      }
    }
    case 'bye':
      return { v: 1, session, kind: 'bye' }
    case 'hello':
      return { v: 1, session, kind: 'hello' }
    default:
      return null
  }
}

/** A `{room, from, from_name, signal}` event from the personal topic, or null. */
export interface IncomingSignal {
  room: string
  from: number
  fromName: string
  signal: Signal
}

export function parseRtcEvent(data: unknown): IncomingSignal | null {
  if (!isRecord(data)) return null
  if (typeof data.room !== 'string' || typeof data.from !== 'number') return null
  const signal = parseSignal(data.signal)
  if (!signal) return null
  return { room: data.room, from: data.from, fromName: typeof data.from_name === 'string' ? data.from_name : '', signal }
}

let counter = 0

/** A fresh session id (random, URL-safe). */
export function newSessionId(random: () => number = Math.random): string {
  counter = (counter + 1) % 1_000_000
  const part = () => Math.floor(random() * 36 ** 6).toString(36).padStart(6, '0')
  return `${part()}${part()}${counter.toString(36)}`
}

/**
 * In a mesh room exactly one side of each pair opens the session: the account with the smaller
 * id. The other side says `hello` when it joins, in case the first missed the news.
 */
export function shouldInitiate(selfId: number, peerId: number): boolean {
  return selfId < peerId
}

/**
 * Perfect negotiation: an incoming offer collides when we are making an offer ourselves, or are
 * not stable (other than while applying an answer).
 */
export function offerCollision(args: {
  type: 'offer' | 'answer'
  makingOffer: boolean
  signalingState: string
  settingRemoteAnswer: boolean
}): boolean {
  if (args.type !== 'offer') return false
  const ready = !args.makingOffer && (args.signalingState === 'stable' || args.settingRemoteAnswer)
  return !ready
}

/** The impolite side ignores a colliding offer; the polite side rolls back and takes it. */
export function ignoreOffer(polite: boolean, collision: boolean): boolean {
  return !polite && collision
}

export interface LinkRef {
  key: string
  peer: number
  session: string
}

export type SignalRoute =
  | { action: 'deliver'; key: string }
  /** Open a session as the answering side; close `replace` first. */
  | { action: 'accept'; replace: string[] }
  /** Tell the room a peer wants a session (mesh `hello`). */
  | { action: 'hello' }
  | { action: 'ignore' }

/**
 * Where an incoming signal goes: the link of its session; a new answering link for an offer of
 * an unknown session (replacing the peer's other links when the room keeps one per peer);
 * `hello` to the room; anything else for an unknown session is stale and dropped.
 */
export function routeSignal(links: readonly LinkRef[], from: number, signal: Signal, onePerPeer: boolean): SignalRoute {
  const own = links.find((l) => l.peer === from && l.session === signal.session)
  if (signal.kind === 'hello') return { action: 'hello' }
  if (own) return { action: 'deliver', key: own.key }
  if (signal.kind === 'description' && signal.description.type === 'offer') {
    return { action: 'accept', replace: onePerPeer ? links.filter((l) => l.peer === from).map((l) => l.key) : [] }
  }
  return { action: 'ignore' }
}

export function linkKey(peer: number, session: string): string {
  return `${peer}:${session}`
}
