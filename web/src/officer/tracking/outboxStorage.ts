/**
 * Outbox storage: IndexedDB (through the small `idb` wrapper) in the browser, so queued positions
 * survive a reload or a killed app; an in-memory fallback where IndexedDB is unavailable.
 *
 * Database `patrolgrid-officer`, store `outbox` (auto-increment key `id`, index `kind`).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { NewOutboxEntry, OutboxEntry, OutboxKind, OutboxStorage } from './outbox'

export const OUTBOX_DB_NAME = 'patrolgrid-officer'
const STORE = 'outbox'

interface OfficerDb extends DBSchema {
  outbox: {
    key: number
    value: OutboxEntry
    indexes: { kind: OutboxKind }
  }
}

export class IdbOutboxStorage implements OutboxStorage {
  private constructor(private readonly db: IDBPDatabase<OfficerDb>) {}

  static async open(name = OUTBOX_DB_NAME): Promise<IdbOutboxStorage> {
    const db = await openDB<OfficerDb>(name, 1, {
      upgrade(database) {
        const store = database.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true })
        store.createIndex('kind', 'kind')
      },
    })
    return new IdbOutboxStorage(db)
  }

  async add(entry: NewOutboxEntry): Promise<number> {
    // The store fills in `id` (auto-increment key path).
    return this.db.add(STORE, entry as OutboxEntry)
  }

  oldest(limit: number): Promise<OutboxEntry[]> {
    return this.db.getAll(STORE, null, limit)
  }

  get(id: number): Promise<OutboxEntry | undefined> {
    return this.db.get(STORE, id)
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.db.put(STORE, entry)
  }

  async remove(id: number): Promise<OutboxEntry | undefined> {
    const tx = this.db.transaction(STORE, 'readwrite')
    const entry = await tx.store.get(id)
    if (entry) await tx.store.delete(id)
    await tx.done
    return entry
  }

  async counts(): Promise<Record<OutboxKind, number>> {
    const tx = this.db.transaction(STORE, 'readonly')
    const [position, status] = await Promise.all([
      tx.store.index('kind').count('position'),
      tx.store.index('kind').count('status'),
    ])
    await tx.done
    return { position, status }
  }

  async clear(): Promise<void> {
    await this.db.clear(STORE)
  }

  close(): void {
    this.db.close()
  }
}

/** Keeps the outbox in memory only (no IndexedDB, e.g. some private browsing modes). */
export class MemoryOutboxStorage implements OutboxStorage {
  private readonly entries = new Map<number, OutboxEntry>()
  private nextId = 1

  async add(entry: NewOutboxEntry): Promise<number> {
    const id = this.nextId++
    this.entries.set(id, { ...entry, id } as OutboxEntry)
    return id
  }

  async oldest(limit: number): Promise<OutboxEntry[]> {
    return [...this.entries.values()].sort((a, b) => a.id - b.id).slice(0, limit)
  }

  async get(id: number): Promise<OutboxEntry | undefined> {
    return this.entries.get(id)
  }

  async put(entry: OutboxEntry): Promise<void> {
    this.entries.set(entry.id, entry)
  }

  async remove(id: number): Promise<OutboxEntry | undefined> {
    const entry = this.entries.get(id)
    this.entries.delete(id)
    return entry
  }

  async counts(): Promise<Record<OutboxKind, number>> {
    const out: Record<OutboxKind, number> = { position: 0, status: 0 }
    for (const entry of this.entries.values()) out[entry.kind] += 1
    return out
  }

  async clear(): Promise<void> {
    this.entries.clear()
  }
}

/** IndexedDB when it opens, else memory (`persistent` tells which). */
export async function openOutboxStorage(): Promise<{ storage: OutboxStorage; persistent: boolean }> {
  try {
    if (typeof indexedDB === 'undefined') throw new Error('no IndexedDB')
    return { storage: await IdbOutboxStorage.open(), persistent: true }
  } catch (error) {
    console.warn('officer outbox: IndexedDB unavailable, positions are kept in memory only', error)
    return { storage: new MemoryOutboxStorage(), persistent: false }
  }
}
