/**
 * rgmanager has no replicated store pmsapp can use. Records kept by the node daemons could be compared,
 * but until that exchange exists the only honest answer is the conservative one: no outside evidence, so a
 * degraded start needs the present superblocks to prove freshness, `degraded=force`, or an override
 * recorded in this node's journal. Writes are accepted and dropped (nothing can be relied on later).
 */
import type { LedgerRecord } from "./record.js";
import type { LedgerStore, LedgerView, WriteResult } from "./store.js";

export class NoSharedLedger implements LedgerStore {
  readonly name = "no shared ledger (rgmanager)";
  readonly overrides = false;

  async read(): Promise<LedgerView> {
    return { kind: "unavailable", source: this.name, reason: "this cluster manager has no replicated store for the ledger, so no outside evidence exists" };
  }

  async write(_record: LedgerRecord): Promise<WriteResult> {
    return { ok: false, reason: "not kept: this cluster manager has no replicated store" };
  }
}
