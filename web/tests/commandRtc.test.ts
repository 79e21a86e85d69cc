import { describe, expect, it } from 'vitest'
import { RtcRoom, type RoomMode } from '@/shared/rtc/room'
import {
  ignoreOffer,
  linkKey,
  newSessionId,
  offerCollision,
  parseRtcEvent,
  parseSignal,
  routeSignal,
  shouldInitiate,
  type Signal,
} from '@/shared/rtc/signal'

const flush = async (rounds = 20) => {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setTimeout(resolve, 0))
}

describe('signalling messages', () => {
  it('reads valid v1 signals and drops anything else', () => {
    const offer = { v: 1, session: 'abc123', kind: 'description', description: { type: 'offer', sdp: 'v=0' } }
    expect(parseSignal(offer)).toEqual(offer)
    expect(parseSignal({ v: 1, session: 'abc123', kind: 'candidate', candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0 } })).toEqual({
      v: 1,
      session: 'abc123',
      kind: 'candidate',
      candidate: { candidate: 'candidate:1', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: null },
    })
    expect(parseSignal({ v: 1, session: 'abc123', kind: 'bye' })).toEqual({ v: 1, session: 'abc123', kind: 'bye' })
    for (const bad of [
      null,
      'x',
      { ...offer, v: 2 },
      { ...offer, session: 'a b' },
      { ...offer, session: 'x' },
      { ...offer, description: { type: 'pranswer', sdp: '' } },
      { v: 1, session: 'abc123', kind: 'candidate', candidate: {} },
      { v: 1, session: 'abc123', kind: 'dance' },
    ]) {
      expect(parseSignal(bad)).toBeNull()
    }
  })

  it('reads the relayed event', () => {
    const signal = { v: 1, session: 'abc123', kind: 'hello' }
    expect(parseRtcEvent({ room: 'group:3', from: 9, from_name: '王', signal })).toEqual({
      room: 'group:3',
      from: 9,
      fromName: '王',
      signal,
    })
    expect(parseRtcEvent({ room: 'group:3', from: '9', signal })).toBeNull()
  })

  it('session ids are fresh and URL-safe', () => {
    const ids = new Set(Array.from({ length: 200 }, () => newSessionId()))
    expect(ids.size).toBe(200)
    for (const id of ids) expect(parseSignal({ v: 1, session: id, kind: 'bye' })).not.toBeNull()
  })
})

describe('negotiation decisions', () => {
  it('the smaller id opens mesh sessions', () => {
    expect(shouldInitiate(2, 7)).toBe(true)
    expect(shouldInitiate(7, 2)).toBe(false)
  })

  it('perfect negotiation: collisions and who yields', () => {
    const base = { makingOffer: false, signalingState: 'stable', settingRemoteAnswer: false }
    expect(offerCollision({ ...base, type: 'offer' })).toBe(false)
    expect(offerCollision({ ...base, type: 'offer', makingOffer: true })).toBe(true)
    expect(offerCollision({ ...base, type: 'offer', signalingState: 'have-local-offer' })).toBe(true)
    expect(offerCollision({ ...base, type: 'offer', signalingState: 'have-local-offer', settingRemoteAnswer: true })).toBe(false)
    expect(offerCollision({ ...base, type: 'answer', signalingState: 'have-local-offer' })).toBe(false)
    expect(ignoreOffer(false, true)).toBe(true) // impolite ignores the colliding offer
    expect(ignoreOffer(true, true)).toBe(false) // polite rolls back and takes it
    expect(ignoreOffer(false, false)).toBe(false)
  })

  it('routes signals to their session, opens on a new offer, drops stale ones', () => {
    const links = [
      { key: linkKey(5, 'aaaa11'), peer: 5, session: 'aaaa11' },
      { key: linkKey(5, 'bbbb22'), peer: 5, session: 'bbbb22' },
    ]
    const offer = (session: string): Signal => ({ v: 1, session, kind: 'description', description: { type: 'offer', sdp: '' } })
    expect(routeSignal(links, 5, offer('aaaa11'), true)).toEqual({ action: 'deliver', key: '5:aaaa11' })
    expect(routeSignal(links, 5, offer('cccc33'), true)).toEqual({ action: 'accept', replace: ['5:aaaa11', '5:bbbb22'] })
    expect(routeSignal(links, 5, offer('cccc33'), false)).toEqual({ action: 'accept', replace: [] })
    expect(routeSignal(links, 6, offer('aaaa11'), true)).toEqual({ action: 'accept', replace: [] })
    expect(routeSignal(links, 5, { v: 1, session: 'zzzz99', kind: 'bye' }, true)).toEqual({ action: 'ignore' })
    expect(routeSignal(links, 5, { v: 1, session: 'zzzz99', kind: 'hello' }, true)).toEqual({ action: 'hello' })
  })
})

// ---- RtcRoom with a fake RTCPeerConnection -------------------------------------------------------

let sdpCounter = 0

class FakePeer {
  signalingState: RTCSignalingState = 'stable'
  connectionState: RTCPeerConnectionState = 'new'
  localDescription: { type: RTCSdpType; sdp: string } | null = null
  remoteDescription: { type: RTCSdpType; sdp: string } | null = null
  onicecandidate: ((e: unknown) => void) | null = null
  onnegotiationneeded: (() => void) | null = null
  ontrack: ((e: unknown) => void) | null = null
  onconnectionstatechange: (() => void) | null = null
  senders: { track: { kind: string } | null }[] = []
  transceivers: { kind: string; direction: string }[] = []
  candidates: unknown[] = []
  private negotiationQueued = false

  private needNegotiation(): void {
    if (this.negotiationQueued) return
    this.negotiationQueued = true
    queueMicrotask(() => {
      this.negotiationQueued = false
      if (this.signalingState === 'stable') this.onnegotiationneeded?.()
    })
  }

  addTrack(track: { kind: string }): unknown {
    const sender = { track }
    this.senders.push(sender)
    if (this.signalingState === 'stable') this.needNegotiation()
    return sender
  }

  addTransceiver(kind: string, init: { direction: string }): unknown {
    this.transceivers.push({ kind, direction: init.direction })
    this.needNegotiation()
    return {}
  }

  async setLocalDescription(d?: { type: RTCSdpType; sdp: string }): Promise<void> {
    const type = d?.type ?? (this.signalingState === 'have-remote-offer' ? 'answer' : 'offer')
    this.localDescription = { type, sdp: `sdp-${type}-${++sdpCounter}` }
    this.signalingState = type === 'offer' ? 'have-local-offer' : 'stable'
    if (type === 'answer') this.connect()
  }

  async setRemoteDescription(d: { type: RTCSdpType; sdp: string }): Promise<void> {
    this.remoteDescription = d
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable'
    if (d.type === 'answer') this.connect()
  }

  private connect(): void {
    this.connectionState = 'connected'
    this.onconnectionstatechange?.()
  }

  async addIceCandidate(c: unknown): Promise<void> {
    this.candidates.push(c)
  }

  getSenders(): unknown[] {
    return this.senders
  }

  getReceivers(): unknown[] {
    return []
  }

  close(): void {
    this.connectionState = 'closed'
    this.signalingState = 'closed'
  }
}

function stream(...kinds: string[]): MediaStream {
  const tracks = kinds.map((kind) => ({ kind }))
  return { getTracks: () => tracks, getVideoTracks: () => tracks.filter((t) => t.kind === 'video') } as unknown as MediaStream
}

/** Rooms of several accounts wired through a fake server relay. */
function network() {
  const rooms = new Map<number, RtcRoom>()
  const peers: FakePeer[] = []
  const sent: { from: number; to: number; signal: Signal }[] = []
  function join(id: number, mode: RoomMode, room = 'sos:1'): RtcRoom {
    const r = new RtcRoom({
      room,
      selfId: id,
      mode,
      send: (to, signal) => {
        sent.push({ from: id, to, signal })
        const target = rooms.get(to)
        if (target) setTimeout(() => void target.handle(id, `user${id}`, JSON.parse(JSON.stringify(signal)) as Signal), 0)
        return true
      },
      iceServers: async () => [],
      createPeer: () => {
        const p = new FakePeer()
        peers.push(p)
        return p as unknown as RTCPeerConnection
      },
    })
    rooms.set(id, r)
    return r
  }
  return { join, peers, sent }
}

describe('RtcRoom', () => {
  it('SOS: the console calls receive-only, the phone answers with its camera once it is ready', async () => {
    const net = network()
    const consoleRoom = net.join(1, 'caller')
    const phone = net.join(5, 'answerer')
    let cameraReady!: () => void
    phone.holdOffers(new Promise<void>((resolve) => (cameraReady = resolve)))
    await consoleRoom.call(5, '张三')
    await flush()
    const [consolePeer] = net.peers
    expect(consolePeer!.transceivers).toEqual([
      { kind: 'audio', direction: 'recvonly' },
      { kind: 'video', direction: 'recvonly' },
    ])
    expect(net.sent.map((s) => (s.signal.kind === 'description' ? s.signal.description.type : s.signal.kind))).toEqual(['offer'])
    expect(net.peers).toHaveLength(1) // the phone waits for its camera
    phone.setLocal(stream('audio', 'video'))
    cameraReady()
    await flush()
    const phonePeer = net.peers[1]!
    expect(phonePeer.senders.map((s) => s.track?.kind)).toEqual(['audio', 'video'])
    expect(phonePeer.signalingState).toBe('stable')
    expect(consolePeer!.signalingState).toBe('stable')
    expect(consolePeer!.remoteDescription?.type).toBe('answer')
    expect(consoleRoom.peers().map((p) => [p.peer, p.state])).toEqual([[5, 'connected']])
    expect(phone.peers().map((p) => p.name)).toEqual(['user1'])
  })

  it('SOS: a console calling again replaces its session; another console gets its own', async () => {
    const net = network()
    const a = net.join(1, 'caller')
    const b = net.join(2, 'caller')
    const phone = net.join(5, 'answerer')
    phone.setLocal(stream('video'))
    await a.call(5)
    await b.call(5)
    await flush()
    expect(phone.peers()).toHaveLength(2)
    await a.call(5) // e.g. after "video started": the old session says bye
    await flush()
    expect(phone.peers().map((p) => p.peer).sort()).toEqual([1, 2])
    expect(a.peers()).toHaveLength(1)
  })

  it('SOS: the phone never calls and the console ignores offers', async () => {
    const net = network()
    const consoleRoom = net.join(1, 'caller')
    const phone = net.join(5, 'answerer')
    await phone.ensure(1)
    await consoleRoom.handle(5, 'x', { v: 1, session: 'qqqq11', kind: 'description', description: { type: 'offer', sdp: '' } })
    await flush()
    expect(net.peers).toHaveLength(0)
  })

  it('mesh: the smaller id calls, the other says hello, one session per pair', async () => {
    const net = network()
    const low = net.join(2, 'mesh', 'group:4')
    const high = net.join(7, 'mesh', 'group:4')
    low.setLocal(stream('audio', 'video'))
    high.setLocal(stream('audio', 'video'))
    await high.ensure(2) // the newcomer with the larger id asks to be called
    await flush()
    expect(net.sent[0]!.signal.kind).toBe('hello')
    await low.ensure(7) // already called because of the hello: nothing more
    await flush()
    expect(low.peers()).toHaveLength(1)
    expect(high.peers()).toHaveLength(1)
    expect(net.peers.every((p) => p.signalingState === 'stable')).toBe(true)
    expect(net.peers.map((p) => p.senders.length)).toEqual([2, 2])
    high.hangup(2)
    await flush()
    expect(low.peers()).toHaveLength(0)
    expect(high.peers()).toHaveLength(0)
  })

  it('mesh: a late camera renegotiates over the same session', async () => {
    const net = network()
    const low = net.join(2, 'mesh', 'group:4')
    const high = net.join(7, 'mesh', 'group:4')
    high.setLocal(stream('audio'))
    await low.ensure(7)
    await flush()
    const sessions = new Set(net.sent.map((s) => s.signal.session))
    low.setLocal(stream('audio', 'video')) // the commander switches the camera on
    await flush()
    expect(new Set(net.sent.map((s) => s.signal.session))).toEqual(sessions)
    const offers = net.sent.filter((s) => s.signal.kind === 'description' && s.signal.description.type === 'offer')
    expect(offers).toHaveLength(2)
    expect(net.peers.every((p) => p.signalingState === 'stable')).toBe(true)
  })
})
