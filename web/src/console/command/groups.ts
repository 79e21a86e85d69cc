/**
 * Forming command groups from elsewhere in the console. The 警情 page's 「建立指挥集群」 button
 * calls `createGroupFromIncident(incident.id)`: the group gets the commander, everyone sent to
 * the incident (and any `personIds` chosen), the members' phones are told, and the console opens
 * the group's page.
 */
import { ElMessage } from 'element-plus'
import { commandApi } from '@/shared/command/api'
import type { GroupCreate, GroupDetail } from '@/shared/command/types'
import { i18n } from '@/shared/i18n'
import { router } from '../router'
import { useCommandStore } from './store'

export async function createGroup(body: GroupCreate, open = true): Promise<GroupDetail> {
  const group = await commandApi.createGroup(body)
  useCommandStore().applyGroup(group)
  ElMessage({ type: 'success', message: i18n.global.t('command.groups.form.created'), grouping: true })
  // `router` is only used when called (the router imports the layout, which imports this).
  if (open) await router.push({ name: 'command-groups', params: { id: String(group.id) } })
  return group
}

/** 「建立指挥集群」 from an incident (errors are the caller's to show, e.g. with `toastError`). */
export function createGroupFromIncident(incidentId: number, personIds: number[] = []): Promise<GroupDetail> {
  return createGroup({ origin: 'incident', incident_id: incidentId, person_ids: personIds })
}

export function createGroupFromSos(sosId: number): Promise<GroupDetail> {
  return createGroup({ origin: 'sos', sos_id: sosId })
}
