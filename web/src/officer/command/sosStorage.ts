/**
 * Where a pressed SOS waits until the server has it: IndexedDB database `patrolgrid-sos`, store
 * `pending` (key `client_ref`), so it survives a reload or a killed app; memory where IndexedDB
 * is unavailable. Separate from the position outbox's database, which has its own versioning.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { PendingSos, SosStorage } from './sosOutbox'

export const SOS_DB_NAME = 'patrolgrid-sos'
const STORE = 'pending'

interface SosDb extends DBSchema {
  pending: { key: string; value: PendingSos }
}

export class IdbSosStorage implements SosStorage {
  private constructor(private readonly db: IDBPDatabase<SosDb>) {}

  static async open(name = SOS_DB_NAME): Promise<IdbSosStorage> {
    const db = await openDB<SosDb>(name, 1, {
      upgrade(database) {
        database.createObjectStore(STORE, { keyPath: 'client_ref' })
      },
    })
    return new IdbSosStorage(db)
  }

  all(): Promise<PendingSos[]> {
    return this.db.getAll(STORE)
  }

  async put(entry: PendingSos): Promise<void> {
    await this.db.put(STORE, { ...entry })
  }

  async remove(clientRef: string): Promise<void> {
    await this.db.delete(STORE, clientRef)
  }
}

export class MemorySosStorage implements SosStorage {
  private readonly entries = new Map<string, PendingSos>()

  async all(): Promise<PendingSos[]> {
    return [...this.entries.values()].map((e) => ({ ...e }))
  }

  async put(entry: PendingSos): Promise<void> {
    this.entries.set(entry.client_ref, { ...entry })
  }

  async remove(clientRef: string): Promise<void> {
    this.entries.delete(clientRef)
  }
}

export async function openSosStorage(): Promise<{ storage: SosStorage; persistent: boolean }> {
  try {
    if (typeof indexedDB === 'undefined') throw new Error('no IndexedDB')
    return { storage: await IdbSosStorage.open(), persistent: true }
  } catch {
    return { storage: new MemorySosStorage(), persistent: false }
  }
}
