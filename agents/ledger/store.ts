/**
 * Where a ledger lives. A store answers "what does the cluster know about this array" with either a
 * quorate view (the record, or none yet) or the reason there is no trustworthy view; the start decision
 * treats "no view" as no outside evidence at all.
 */
import type { LedgerRecord } from "./record.js";

export type LedgerView =
  /** This node is in a quorate partition; `record` is undefined when none was ever written. */
  | { readonly kind: "quorate"; readonly record: LedgerRecord | undefined; readonly source: string }
  /** No trustworthy view: not quorate, no cluster, unreadable or malformed record … */
  | {
      readonly kind: "unavailable";
      readonly reason: string;
      readonly source: string;
      /** This node's own copy when it could be read: never evidence, only where an override written here is found. */
      readonly localRecord?: LedgerRecord;
    };

export type WriteResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface LedgerStore {
  /** Short name for messages, e.g. "pacemaker CIB". */
  readonly name: string;
  /** Whether `pmsapp override` can record an override in this store. */
  readonly overrides: boolean;
  read(uuid: string): Promise<LedgerView>;
  write(record: LedgerRecord): Promise<WriteResult>;
}
