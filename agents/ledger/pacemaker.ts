/**
 * The ledger in Pacemaker's CIB: one cluster property per array, `pmsapp-ledger-<uuid>`, read and written
 * with crm_attribute (Pacemaker 2.1.5). The CIB is only evidence when this node's partition has quorum
 * (`crm_node -q` prints 1): a node that booted alone holds a stale copy. Every call is bounded.
 *
 * Real behaviour (test/fixtures/pacemaker-host-2026-11-24): a missing property and a missing CIB both exit
 * 105 ("No such device or address"); no cluster at all exits 102; `--query --quiet` prints the bare value.
 */
import { describeResult, succeeded, type Runner } from "../system/command.js";
import { canonicalUuid } from "../md/uuid.js";
import { parseLedgerRecord, serializeLedgerRecord, type LedgerRecord } from "./record.js";
import type { LedgerStore, LedgerView, WriteResult } from "./store.js";

export const CRM_ATTRIBUTE = "crm_attribute";
export const CRM_NODE = "crm_node";
/** Cap for one crm_attribute / crm_node call. */
export const PCMK_CALL_MS = 5_000;

export const ledgerAttribute = (uuid: string): string => `pmsapp-ledger-${canonicalUuid(uuid) ?? uuid}`;

export const queryArgs = (uuid: string): string[] => ["--type", "crm_config", "--name", ledgerAttribute(uuid), "--query", "--quiet"];
export const updateArgs = (record: LedgerRecord): string[] => ["--type", "crm_config", "--name", ledgerAttribute(record.uuid), "--update", serializeLedgerRecord(record)];
export const QUORUM_ARGS = ["-q"] as const;
export const NODE_NAME_ARGS = ["-n"] as const;

/** crm_attribute's "not found" (the property does not exist): 105 with ENXIO text, not a CIB connection failure. */
function isMissingProperty(stderr: string, exitCode: number | null): boolean {
  return exitCode === 105 && /Error performing operation: No such device or address/.test(stderr);
}

export type Quorum = { readonly ok: true; readonly quorate: boolean } | { readonly ok: false; readonly reason: string };

/**
 * `crm_node -q`: prints 1 and exits 0 when quorate; prints 0 and exits 106 when not (both captured on a
 * live one-node cluster); anything else (no controller: exit 102, nothing printed) is "cannot tell".
 */
export async function readQuorum(runner: Runner, timeoutMs: number): Promise<Quorum> {
  const r = await runner.run(CRM_NODE, [...QUORUM_ARGS], { timeoutMs });
  const v = r.stdout.trim();
  if (succeeded(r) && v === "1") return { ok: true, quorate: true };
  if (!r.timedOut && r.failedToStart === undefined && (r.exitCode === 0 || r.exitCode === 106) && v === "0") return { ok: true, quorate: false };
  if (!succeeded(r)) return { ok: false, reason: describeResult(r) };
  return { ok: false, reason: `crm_node -q printed ${JSON.stringify(v.slice(0, 40))}, expected 1 or 0` };
}

/** `crm_node -n`: the name the cluster uses for this node. */
export async function readNodeName(runner: Runner, timeoutMs: number): Promise<{ ok: true; name: string } | { ok: false; reason: string }> {
  const r = await runner.run(CRM_NODE, [...NODE_NAME_ARGS], { timeoutMs });
  if (!succeeded(r)) return { ok: false, reason: describeResult(r) };
  const name = r.stdout.trim();
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name) ? { ok: true, name } : { ok: false, reason: `crm_node -n printed an unusable node name ${JSON.stringify(name.slice(0, 70))}` };
}

export class PacemakerLedger implements LedgerStore {
  readonly name = "pacemaker CIB";
  readonly overrides = true;

  /** `budget(cap)` returns the time left for one call (the caller's deadline, capped). */
  constructor(private readonly runner: Runner, private readonly budget: (capMs: number) => number) {}

  async read(uuid: string): Promise<LedgerView> {
    const source = `${this.name} (${ledgerAttribute(uuid)})`;
    const q = await readQuorum(this.runner, this.budget(PCMK_CALL_MS));
    if (!q.ok) return { kind: "unavailable", source, reason: `cannot tell whether this node has quorum: ${q.reason}` };
    const r = await this.runner.run(CRM_ATTRIBUTE, queryArgs(uuid), { timeoutMs: this.budget(PCMK_CALL_MS) });
    if (!q.quorate) {
      const local = succeeded(r) ? parseLedgerRecord(r.stdout.trim()) : undefined;
      const localRecord = local?.ok === true && local.record.uuid === canonicalUuid(uuid) ? local.record : undefined;
      return { kind: "unavailable", source, reason: "this node's partition has no quorum: its copy of the CIB may be stale", ...(localRecord ? { localRecord } : {}) };
    }
    if (isMissingProperty(r.stderr, r.exitCode) && !r.timedOut) return { kind: "quorate", record: undefined, source };
    if (!succeeded(r)) return { kind: "unavailable", source, reason: `cannot read the ledger: ${describeResult(r)}` };
    const parsed = parseLedgerRecord(r.stdout.trim());
    if (!parsed.ok) return { kind: "unavailable", source, reason: parsed.error };
    if (parsed.record.uuid !== canonicalUuid(uuid)) return { kind: "unavailable", source, reason: `the record under ${ledgerAttribute(uuid)} is about array ${parsed.record.uuid}` };
    return { kind: "quorate", record: parsed.record, source };
  }

  async write(record: LedgerRecord): Promise<WriteResult> {
    const r = await this.runner.run(CRM_ATTRIBUTE, updateArgs(record), { timeoutMs: this.budget(PCMK_CALL_MS) });
    if (succeeded(r)) return { ok: true };
    // The record's JSON (several hundred characters) would bury the cause: name it by generation instead.
    const shown = { ...r, argv: [...r.argv.slice(0, -1), `<record gen ${record.gen}, ${record.event}>`] };
    return { ok: false, reason: `cannot write the ledger: ${describeResult(shown)}` };
  }
}

/**
 * The CIB ledger on a node where Pacemaker does not run (e.g. ocf-tester, or the agent run by hand): no
 * outside evidence, nothing written, and no crm_* call made. Same answers the CIB ledger gives when its
 * calls fail with "Could not connect", without their cost.
 */
export class PacemakerNotRunning implements LedgerStore {
  readonly name = "pacemaker CIB";
  readonly overrides = true;
  static readonly REASON = "Pacemaker is not running on this node (no pacemaker-controld process), so the cluster's ledger cannot be read";

  async read(uuid: string): Promise<LedgerView> {
    return { kind: "unavailable", source: `${this.name} (${ledgerAttribute(uuid)})`, reason: PacemakerNotRunning.REASON };
  }

  async write(_record: LedgerRecord): Promise<WriteResult> {
    return { ok: false, reason: PacemakerNotRunning.REASON };
  }
}
