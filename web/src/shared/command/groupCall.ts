/**
 * Video in a command group (mesh WebRTC, up to 8 in the call), the same for the console and the
 * officer app. Joining opens the camera and microphone (the console: microphone, camera if it has
 * one), announces `{type:"video", room:"group:<id>", state:"started"}` (the server records the
 * session and tells the room), and opens a session with everyone else whose camera is live: the
 * account with the smaller id calls, the other says hello (see `rtc/room.ts`). Leaving announces
 * `stopped`. After a reconnect the announcement is repeated and missing sessions are opened again.
 */
import { shallowRef, type ShallowRef } from 'vue'
import { openMedia, stopStream, type MediaWish } from '../rtc/media'
import { RtcRoom, type RoomPeer } from '../rtc/room'
import type { Signal } from '../rtc/signal'
import { parseVideoEvent } from './events'
import { iceServers } from './rtcConfig'

export interface GroupCallOptions {
  groupId: number
  selfId: number
  /** Sends a message on the page's WebSocket; false when it is down. */
  send: (message: Record<string, unknown>) => boolean
  wish: MediaWish
  createPeer?: (config: RTCConfiguration) => RTCPeerConnection
}

let sequence = 0
function messageId(kind: string): string {
  sequence += 1
  return `${kind}:${Date.now().toString(36)}:${sequence}`
}

export class GroupCall {
  readonly room: string
  readonly joined: ShallowRef<boolean> = shallowRef(false)
  readonly joining: ShallowRef<boolean> = shallowRef(false)
  readonly local: ShallowRef<MediaStream | null> = shallowRef(null)
  readonly peers: ShallowRef<RoomPeer[]> = shallowRef([])
  readonly problem: ShallowRef<'denied' | 'unavailable' | null> = shallowRef(null)
  /** Accounts whose camera is live in the group, as far as we know. */
  readonly live: ShallowRef<Map<number, string>> = shallowRef(new Map())
  private readonly options: GroupCallOptions
  private rtc: RtcRoom | null = null

  constructor(options: GroupCallOptions) {
    this.options = options
    this.room = `group:${options.groupId}`
  }

  private newRoom(): RtcRoom {
    return new RtcRoom({
      room: this.room,
      selfId: this.options.selfId,
      mode: 'mesh',
      send: (to: number, signal: Signal) =>
        this.options.send({ type: 'rtc', id: messageId('rtc'), room: this.room, to, signal }),
      iceServers,
      createPeer: this.options.createPeer,
      onChange: (peers) => {
        this.peers.value = peers
      },
      log: (message, error) => console.warn(`[${this.room}] ${message}`, error ?? ''),
    })
  }

  /** Who has a camera live now (from the group's video sessions). */
  setLive(users: readonly { user_id: number; name: string }[]): void {
    const live = new Map(users.map((u) => [u.user_id, u.name]))
    if (this.joined.value) live.set(this.options.selfId, '')
    this.live.value = live
    if (this.joined.value) this.connectAll()
  }

  private connectAll(): void {
    for (const [user, name] of this.live.value) {
      if (user !== this.options.selfId) void this.rtc?.ensure(user, name)
    }
  }

  private announce(state: 'started' | 'stopped'): boolean {
    return this.options.send({ type: 'video', id: messageId('video'), room: this.room, state })
  }

  async join(): Promise<void> {
    if (this.joined.value || this.joining.value) return
    this.joining.value = true
    try {
      const { stream, problem } = await openMedia(this.options.wish)
      this.problem.value = problem
      this.local.value = stream
      this.rtc = this.newRoom()
      this.rtc.setLocal(stream)
      this.joined.value = true
      this.live.value = new Map([...this.live.value, [this.options.selfId, '']])
      this.announce('started')
      this.connectAll()
    } finally {
      this.joining.value = false
    }
  }

  leave(): void {
    if (!this.joined.value) return
    this.announce('stopped')
    this.rtc?.close()
    this.rtc = null
    stopStream(this.local.value)
    this.local.value = null
    this.peers.value = []
    const live = new Map(this.live.value)
    live.delete(this.options.selfId)
    this.live.value = live
    this.joined.value = false
  }

  /** The socket is back: say again that we are here, and call whoever is missing. */
  reconnected(): void {
    if (!this.joined.value) return
    this.announce('started')
    this.connectAll()
  }

  /** A `video` event; true when it was for this group. */
  handleVideo(data: unknown): boolean {
    const event = parseVideoEvent(data)
    if (!event || event.room !== this.room) return false
    const live = new Map(this.live.value)
    if (event.state === 'started') live.set(event.user_id, event.name)
    else live.delete(event.user_id)
    this.live.value = live
    if (!this.joined.value || event.user_id === this.options.selfId) return true
    if (event.state === 'started') void this.rtc?.ensure(event.user_id, event.name)
    else this.rtc?.hangup(event.user_id)
    return true
  }

  /** An `rtc` event; true when it was for this group. */
  handleRtc(data: unknown): boolean {
    if (!this.rtc) return false
    return this.rtc.handleEvent(data)
  }

  dispose(): void {
    this.leave()
  }
}
