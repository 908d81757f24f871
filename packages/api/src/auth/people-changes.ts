import type { DbOrTx } from "@tower/db";
import type { ChangeEvent, PeopleList } from "@tower/shared";
import { recordChange } from "../core/change-feed";
import type { ConnectionState } from "../core/connection-state";

/**
 * Records, in the transaction of the change, that one of Settings' lists changed (`id`: the member,
 * invite, key or project; for the invites that ended with their maker, the maker), so every open
 * Settings page reads it again; publish it once committed.
 */
export function peopleChange(
  state: ConnectionState,
  tx: DbOrTx,
  projectId: string,
  list: PeopleList,
  id: string,
  now: number,
): ChangeEvent {
  return recordChange(state, tx, { projectId, entity: "people", op: "updated", at: now, data: { id, list } });
}
