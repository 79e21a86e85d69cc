/**
 * The WebRTC sessions of one room (`sos:<id>` or `group:<id>`) on this page.
 *
 * Modes:
 * - `mesh` (group video, up to 8): one session per peer; of each pair the account with the
 *   smaller id opens it, the other says `hello` when it joins (and again if nothing came);
 * - `caller` (the console in an SOS room): opens a receive-only session to the officer;
 * - `answerer` (the officer's phone in an SOS room): only answers, possibly several consoles and
 *   several tabs of one console at once (one session each). Offers wait for the camera to be
 *   ready (`holdOffers`), so the answer carries it.
 *
 * Signals go out through `send` as `{type:"rtc", room, to, signal}`; incoming ones come in with
 * `handle`. The room reports its peers (remote stream and state) through `onChange`.
 */
import { RtcLink, type LinkState } from './link'
import { linkKey, newSessionId, parseRtcEvent, routeSignal, shouldInitiate, type Signal } from './signal'

export type RoomMode = 'mesh' | 'caller' | 'answerer'

export interface RoomPeer {
  key: string
  peer: number
  name: string
  session: string
  state: LinkState
  stream: MediaStream | null
}

export interface RoomOptions {
  room: string
  selfId: number
  mode: RoomMode
  /** Relays a signal to one account; false when the socket is down (it will be retried). */
  send: (to: number, signal: Signal) => boolean
  iceServers: () => Promise<RTCIceServer[]>
  receive?: { audio: boolean; video: boolean }
  createPeer?: (config: RTCConfiguration) => RTCPeerConnection
  onChange?: (peers: RoomPeer[]) => void
  log?: (message: string, error?: unknown) => void
}

/** Sessions one page keeps at most (mesh peers, or consoles watching a phone): beyond it an
 * SFU is needed (docs/command.md). */
export const MESH_LIMIT = 8

export class RtcRoom {
  readonly room: string
  readonly selfId: number
  readonly mode: RoomMode
  private readonly options: RoomOptions
  private readonly links = new Map<string, RtcLink>()
  private local: MediaStream | null = null
  private held: Promise<unknown> | null = null
  private closed = false
  private readonly names = new Map<number, string>()
  /** Peers a call is being opened to (the ICE configuration is awaited first). */
  private readonly calling = new Set<number>()

  constructor(options: RoomOptions) {
    this.options = options
    this.room = options.room
    this.selfId = options.selfId
    this.mode = options.mode
  }

  get localStream(): MediaStream | null {
    return this.local
  }

  /** The room's peers (one entry per open session). */
  peers(): RoomPeer[] {
    return [...this.links.entries()].map(([key, link]) => ({
      key,
      peer: link.peer,
      name: link.peerName || this.names.get(link.peer) || '',
      session: link.session,
      state: link.state,
      stream: link.remote,
    }))
  }

  private changed(): void {
    if (!this.closed) this.options.onChange?.(this.peers())
  }

  /** Offers arriving before `until` settles are answered after it (e.g. the camera starting). */
  holdOffers(until: Promise<unknown>): void {
    const timeout = new Promise((resolve) => setTimeout(resolve, 8000))
    this.held = Promise.race([until.catch(() => undefined), timeout])
  }

  /** Sends this stream to every peer from now on (replacing or adding tracks). */
  setLocal(stream: MediaStream | null): void {
    this.local = stream
    for (const link of this.links.values()) link.setLocal(stream)
  }

  private async config(): Promise<RTCConfiguration> {
    let iceServers: RTCIceServer[] = []
    try {
      iceServers = await this.options.iceServers()
    } catch (error) {
      this.options.log?.('ICE configuration unavailable, using none', error)
    }
    return { iceServers }
  }

  private createPeer(config: RTCConfiguration): RTCPeerConnection {
    return this.options.createPeer ? this.options.createPeer(config) : new RTCPeerConnection(config)
  }

  private async open(peer: number, name: string, initiator: boolean, session: string): Promise<RtcLink> {
    const config = await this.config()
    const key = linkKey(peer, session)
    const link: RtcLink = new RtcLink({
      peer,
      peerName: name,
      session,
      initiator,
      config,
      local: this.local,
      receive: this.options.receive ?? { audio: true, video: true },
      createPeer: (c) => this.createPeer(c),
      send: (signal) => void this.options.send(peer, signal),
      onRemote: () => this.changed(),
      onState: (state) => {
        if (state === 'closed' && this.links.get(key) === link) this.links.delete(key)
        this.changed()
      },
      log: this.options.log,
    })
    this.links.set(key, link)
    this.changed()
    return link
  }

  /** Opens a new session to `peer` (closing any earlier one to them). */
  async call(peer: number, name = ''): Promise<void> {
    if (this.closed || this.calling.has(peer)) return
    if (name) this.names.set(peer, name)
    this.calling.add(peer)
    try {
      for (const link of this.linksOf(peer)) link.close()
      await this.open(peer, name || this.names.get(peer) || '', true, newSessionId())
    } finally {
      this.calling.delete(peer)
    }
  }

  private linksOf(peer: number): RtcLink[] {
    return [...this.links.values()].filter((l) => l.peer === peer)
  }

  /** Whether a session with the peer is open and not failed. */
  healthy(peer: number): boolean {
    return this.linksOf(peer).some((l) => !l.isClosed && l.state !== 'failed')
  }

  /** Whether a session with the peer carries their video. */
  receivingVideo(peer: number): boolean {
    return this.linksOf(peer).some((l) => l.remote?.getVideoTracks().some((t) => t.readyState === 'live') ?? false)
  }

  /**
   * Mesh: make sure there is a session with a peer who is in the call: open it when it is ours
   * to open, else ask them with `hello`.
   */
  async ensure(peer: number, name = ''): Promise<void> {
    if (this.closed || peer === this.selfId) return
    if (name) this.names.set(peer, name)
    if (this.healthy(peer) || this.calling.has(peer)) return
    if (this.mode === 'answerer') return
    if (this.mode === 'caller' || shouldInitiate(this.selfId, peer)) {
      if (this.links.size >= MESH_LIMIT) return
      await this.call(peer, name)
    } else {
      this.options.send(peer, { v: 1, session: newSessionId(), kind: 'hello' })
    }
  }

  /** The `rtc` event's data; false when it was not for this room. */
  handleEvent(data: unknown): boolean {
    const incoming = parseRtcEvent(data)
    if (!incoming || incoming.room !== this.room) return false
    void this.handle(incoming.from, incoming.fromName, incoming.signal)
    return true
  }

  async handle(from: number, fromName: string, signal: Signal): Promise<void> {
    if (this.closed || from === this.selfId) return
    if (fromName) this.names.set(from, fromName)
    const refs = [...this.links.entries()].map(([key, l]) => ({ key, peer: l.peer, session: l.session }))
    const route = routeSignal(refs, from, signal, this.mode !== 'answerer')
    switch (route.action) {
      case 'deliver':
        await this.links.get(route.key)?.handle(signal)
        return
      case 'hello':
        if (this.mode === 'mesh' && shouldInitiate(this.selfId, from) && !this.healthy(from)) {
          await this.call(from, fromName)
        }
        return
      case 'accept': {
        if (this.mode === 'caller') return // the console only calls
        // Mesh: the smaller id opens sessions; while ours is alive we keep it (no two sessions).
        if (this.mode === 'mesh' && shouldInitiate(this.selfId, from) && this.healthy(from)) return
        for (const key of route.replace) this.links.get(key)?.close(false)
        if (this.links.size >= MESH_LIMIT) {
          // Every session is one more upload from this phone: beyond this, say no (an SFU
          // would take one upload and fan it out; docs/command.md).
          this.options.send(from, { v: 1, session: signal.session, kind: 'bye' })
          return
        }
        if (this.held) await this.held
        if (this.closed) return
        const link = await this.open(from, fromName, false, signal.session)
        await link.handle(signal)
        return
      }
      default:
        return
    }
  }

  /** Ends the sessions with one peer (they left, or stopped their camera). */
  hangup(peer: number): void {
    for (const link of this.linksOf(peer)) link.close()
  }

  /** Ends every session; the local stream is the caller's to stop. */
  close(): void {
    if (this.closed) return
    for (const link of [...this.links.values()]) link.close()
    this.links.clear()
    this.closed = true
  }

  get isClosed(): boolean {
    return this.closed
  }
}
