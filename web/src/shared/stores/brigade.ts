import { defineStore } from 'pinia'
import { ref } from 'vue'
import { orgApi } from '../endpoints'
import type { Brigade } from '../types'

/** The brigade (大队) this installation serves; its name heads the console. */
export const useBrigadeStore = defineStore('brigade', () => {
  const brigade = ref<Brigade | null>(null)

  async function load(): Promise<Brigade> {
    const result = await orgApi.brigade()
    brigade.value = result
    return result
  }

  async function update(body: Partial<Pick<Brigade, 'name' | 'code'>>): Promise<Brigade> {
    const result = await orgApi.updateBrigade(body)
    brigade.value = result
    return result
  }

  return { brigade, load, update }
})
