/**
 * One WebRTC session with one peer: an RTCPeerConnection negotiated with the "perfect
 * negotiation" pattern (see `signal.ts`). The side that opens the session is impolite and makes
 * the first offer, asking to receive what it does not send itself (recvonly transceivers); the
 * answering side attaches its own tracks to the offered transceivers, so one offer/answer round
 * is enough. Later changes (a camera switched on) renegotiate from either side.
 *
 * Messages are handled one at a time, in order; ICE candidates that arrive before the remote
 * description are kept until it is set.
 */
import {
  ignoreOffer,
  offerCollision,
  SIGNAL_VERSION,
  type CandidateSignal,
  type Signal,
} from './signal'

export type LinkState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed'

/** The distributive Omit: a signal without its envelope fields. */
type Body<T> = T extends unknown ? Omit<T, 'v' | 'session'> : never
export type SignalBody = Body<Signal>

export interface LinkOptions {
  peer: number
  peerName: string
  session: string
  /** True for the side that opens the session (and makes the first offer). */
  initiator: boolean
  config: RTCConfiguration
  local: MediaStream | null
  /** What to ask the other side for (the opening side only). */
  receive: { audio: boolean; video: boolean }
  createPeer: (config: RTCConfiguration) => RTCPeerConnection
  send: (signal: Signal) => void
  onRemote: (stream: MediaStream | null) => void
  onState: (state: LinkState) => void
  log?: (message: string, error?: unknown) => void
}

export class RtcLink {
  readonly peer: number
  readonly session: string
  readonly initiator: boolean
  readonly polite: boolean
  peerName: string
  readonly pc: RTCPeerConnection
  state: LinkState = 'new'
  remote: MediaStream | null = null
  /** Milliseconds since the epoch when the link was created (for "stuck" checks). */
  readonly createdAt = Date.now()

  private readonly options: LinkOptions
  private makingOffer = false
  private ignoringOffer = false
  private settingRemoteAnswer = false
  private tracksAdded = false
  private pendingCandidates: CandidateSignal['candidate'][] = []
  private queue: Promise<void> = Promise.resolve()
  private closed = false

  constructor(options: LinkOptions) {
    this.options = options
    this.peer = options.peer
    this.peerName = options.peerName
    this.session = options.session
    this.initiator = options.initiator
    this.polite = !options.initiator
    const pc = options.createPeer(options.config)
    this.pc = pc
    pc.onicecandidate = (event) => {
      if (event.candidate && event.candidate.candidate) {
        const c = event.candidate.toJSON()
        this.send({
          kind: 'candidate',
          candidate: {
            candidate: c.candidate ?? '',
            sdpMid: c.sdpMid ?? null,
            sdpMLineIndex: c.sdpMLineIndex ?? null,
            usernameFragment: c.usernameFragment ?? null,
          },
        })
      }
    }
    pc.onnegotiationneeded = () => void this.negotiate()
    pc.ontrack = (event) => {
      this.updateRemote()
      event.track.onunmute = () => this.updateRemote()
      event.track.onended = () => this.updateRemote()
    }
    pc.onconnectionstatechange = () => this.setState(pc.connectionState as LinkState)
    if (options.initiator) {
      this.addLocalTracks()
      for (const kind of ['audio', 'video'] as const) {
        const sending = options.local?.getTracks().some((t) => t.kind === kind) ?? false
        if (!sending && options.receive[kind]) pc.addTransceiver(kind, { direction: 'recvonly' })
      }
    }
  }

  private send(body: SignalBody): void {
    if (this.closed) return
    this.options.send({ v: SIGNAL_VERSION, session: this.session, ...body } as Signal)
  }

  private log(message: string, error?: unknown): void {
    this.options.log?.(message, error)
  }

  private setState(state: LinkState): void {
    if (this.state === state) return
    this.state = state
    this.options.onState(state)
  }

  private updateRemote(): void {
    const tracks = this.pc
      .getReceivers()
      .map((r) => r.track)
      .filter((t): t is MediaStreamTrack => !!t && t.readyState === 'live')
    this.remote = tracks.length > 0 ? new MediaStream(tracks) : null
    this.options.onRemote(this.remote)
  }

  private addLocalTracks(): void {
    this.tracksAdded = true
    const local = this.options.local
    if (!local) return
    for (const track of local.getTracks()) this.pc.addTrack(track, local)
  }

  private async negotiate(): Promise<void> {
    if (this.closed) return
    try {
      this.makingOffer = true
      await this.pc.setLocalDescription()
      const d = this.pc.localDescription
      if (d && (d.type === 'offer' || d.type === 'answer')) {
        this.send({ kind: 'description', description: { type: d.type, sdp: d.sdp } })
      }
    } catch (error) {
      this.log('negotiation failed', error)
    } finally {
      this.makingOffer = false
    }
  }

  /** Handles a signal of this session (in order, one at a time). */
  handle(signal: Signal): Promise<void> {
    this.queue = this.queue.then(() => this.process(signal)).catch((error) => this.log('signal failed', error))
    return this.queue
  }

  private async process(signal: Signal): Promise<void> {
    if (this.closed) return
    const pc = this.pc
    if (signal.kind === 'bye') {
      this.close(false)
      return
    }
    if (signal.kind === 'candidate') {
      if (!pc.remoteDescription) {
        this.pendingCandidates.push(signal.candidate)
        return
      }
      await this.addCandidate(signal.candidate)
      return
    }
    if (signal.kind !== 'description') return
    const description = signal.description
    const collision = offerCollision({
      type: description.type,
      makingOffer: this.makingOffer,
      signalingState: pc.signalingState,
      settingRemoteAnswer: this.settingRemoteAnswer,
    })
    this.ignoringOffer = ignoreOffer(this.polite, collision)
    if (this.ignoringOffer) return
    if (description.type === 'answer' && pc.signalingState !== 'have-local-offer') return // stale
    this.settingRemoteAnswer = description.type === 'answer'
    try {
      await pc.setRemoteDescription(description)
    } finally {
      this.settingRemoteAnswer = false
    }
    for (const candidate of this.pendingCandidates.splice(0)) await this.addCandidate(candidate)
    if (description.type === 'offer') {
      // The answering side's tracks go onto the offered transceivers (no second round).
      if (!this.tracksAdded) this.addLocalTracks()
      await pc.setLocalDescription()
      const d = pc.localDescription
      if (d) this.send({ kind: 'description', description: { type: 'answer', sdp: d.sdp } })
    }
  }

  private async addCandidate(candidate: CandidateSignal['candidate']): Promise<void> {
    try {
      await this.pc.addIceCandidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
        usernameFragment: candidate.usernameFragment ?? undefined,
      })
    } catch (error) {
      if (!this.ignoringOffer) this.log('ICE candidate refused', error)
    }
  }

  /**
   * Uses another local stream: tracks replace those of the same kind already sent; new kinds
   * are added (which renegotiates); kinds no longer there stop being sent.
   */
  setLocal(stream: MediaStream | null): void {
    if (this.closed) return
    this.options.local = stream
    if (!this.tracksAdded) return // the answering side adds them with its answer
    const senders = this.pc.getSenders()
    for (const kind of ['audio', 'video'] as const) {
      const track = stream?.getTracks().find((t) => t.kind === kind) ?? null
      const sender = senders.find((s) => s.track?.kind === kind)
      if (sender) {
        void sender.replaceTrack(track).catch((error) => this.log('replaceTrack failed', error))
      } else if (track && stream) {
        this.pc.addTrack(track, stream)
      }
    }
  }

  /** Closes the session; tells the peer unless it was the peer who said bye. */
  close(tellPeer = true): void {
    if (this.closed) return
    if (tellPeer) this.send({ kind: 'bye' })
    this.closed = true
    try {
      this.pc.close()
    } catch {
      // already closed
    }
    this.remote = null
    this.options.onRemote(null)
    this.setState('closed')
  }

  get isClosed(): boolean {
    return this.closed
  }
}
