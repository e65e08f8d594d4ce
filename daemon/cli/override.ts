/**
 * `pmsapp override start --array <uuid> --from <node> --reason "..."`: the only way past a start refusal
 * of the raid agent (issue 8). It records who, when, why and the ledger generation it overrides, in the
 * array's CIB ledger (so the agent on <node> finds it, even on a node whose partition has no quorum) and in
 * the local agents' journal (so pmsappd streams it as an event). The next start on <node> consumes it once.
 * Pacemaker only: rgmanager has no replicated store, and there `degraded=force` is the way past a refusal.
 */
import { userInfo } from "node:os";
import { appendJournal, journalPath } from "../../agents/journal/journal.js";
import { PacemakerLedger, readNodeName } from "../../agents/ledger/pacemaker.js";
import { recordOverride } from "../../agents/ledger/record.js";
import { canonicalUuid, mdadmUuid } from "../../agents/md/uuid.js";
import type { Runner } from "../../agents/system/command.js";

export const OVERRIDE_EXIT = { OK: 0, FAILED: 1, USAGE: 2, NO_CLUSTER: 3 } as const;

export const OVERRIDE_HELP = `usage: pmsapp override start --array <uuid> --from <node> --reason "<why>"

Lets the next start of the md array <uuid> on <node> go ahead although the raid agent refused it
(a member that may hold newer writes is missing, the ledger says the present members are stale, or
the members diverged). Writes that exist only on the missing or other members are lost.
Recorded in the cluster's ledger (Pacemaker CIB) and in the journal; used once.

exit codes: 0 recorded, 1 could not be recorded, 2 usage, 3 no Pacemaker cluster on this node`;

const NODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface OverrideArgs {
  readonly uuid: string;
  readonly from: string;
  readonly reason: string;
}

export type ParsedOverride = { ok: true; args: OverrideArgs } | { ok: true; help: true } | { ok: false; error: string };

export function parseOverrideArgs(argv: readonly string[]): ParsedOverride {
  const [what, ...rest] = argv;
  if (what === undefined || what === "--help" || what === "-h") return { ok: true, help: true };
  if (what !== "start") return { ok: false, error: `override: unknown kind '${what}' (only 'start')` };
  let uuid: string | undefined;
  let from: string | undefined;
  let reason: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const v = rest[i + 1];
    if (a === "--help" || a === "-h") return { ok: true, help: true };
    if (a !== "--array" && a !== "--from" && a !== "--reason") return { ok: false, error: `override start: unknown option '${a}'` };
    if (v === undefined) return { ok: false, error: `override start: ${a} needs a value` };
    i++;
    if (a === "--array") {
      uuid = canonicalUuid(v);
      if (uuid === undefined) return { ok: false, error: `override start: --array '${v.slice(0, 80)}' is not an md array UUID` };
    } else if (a === "--from") {
      if (!NODE.test(v)) return { ok: false, error: "override start: --from needs a node name (letters, digits, '.', '_', '-')" };
      from = v;
    } else {
      const t = v.trim();
      if (t.length === 0 || t.length > 400 || /[\u0000-\u001f\u007f]/.test(t)) return { ok: false, error: "override start: --reason needs one line of 1 to 400 printable characters" };
      reason = t;
    }
  }
  const missing = [uuid === undefined ? "--array" : "", from === undefined ? "--from" : "", reason === undefined ? "--reason" : ""].filter(Boolean);
  if (missing.length > 0) return { ok: false, error: `override start: ${missing.join(", ")} required` };
  return { ok: true, args: { uuid: uuid as string, from: from as string, reason: reason as string } };
}

export interface OverrideIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly runner: Runner;
  readonly now?: () => number;
}

/** Who runs the override: the sudo user when there is one, else the login name. */
function operator(env: NodeJS.ProcessEnv): string {
  const raw = env.SUDO_USER ?? env.USER ?? (() => {
    try {
      return userInfo().username;
    } catch {
      return "unknown";
    }
  })();
  return raw.replace(/[^A-Za-z0-9._@-]/g, "?").slice(0, 64) || "unknown";
}

export async function runOverride(argv: readonly string[], io: OverrideIo): Promise<number> {
  const parsed = parseOverrideArgs(argv);
  if (!parsed.ok) {
    io.err(`pmsapp: ${parsed.error}`);
    io.err("try 'pmsapp override --help'");
    return OVERRIDE_EXIT.USAGE;
  }
  if ("help" in parsed) {
    io.out(OVERRIDE_HELP);
    return OVERRIDE_EXIT.OK;
  }
  const { uuid, from, reason } = parsed.args;
  const now = io.now ?? Date.now;
  const CALL_MS = 5_000;
  const here = await readNodeName(io.runner, CALL_MS);
  if (!here.ok) {
    io.err(`pmsapp: no Pacemaker cluster answers on this node (${here.reason}); overrides live in the CIB ledger. Under rgmanager, start once with degraded=force instead.`);
    return OVERRIDE_EXIT.NO_CLUSTER;
  }
  const store = new PacemakerLedger(io.runner, (cap) => Math.min(cap, CALL_MS));
  const view = await store.read(uuid);
  const prev = view.kind === "quorate" ? view.record : view.localRecord;
  if (view.kind === "unavailable") io.err(`pmsapp: note: ${view.reason}; the override is written to this node's CIB copy`);
  const time = new Date(now()).toISOString();
  const by = operator(io.env);
  const record = recordOverride(prev, { uuid, by, from, reason, time, writer: here.name });
  const written = await store.write(record);
  if (!written.ok) {
    io.err(`pmsapp: override not recorded: ${written.reason}`);
    return OVERRIDE_EXIT.FAILED;
  }
  const overridesGen = prev?.gen ?? 0;
  appendJournal(
    {
      time,
      agent: "override",
      instance: mdadmUuid(uuid),
      action: "override",
      kind: "decision",
      decision: "override-start",
      reason: `${by} on ${here.name} allows the next start of ${mdadmUuid(uuid)} on ${from} past a refusal (ledger events ${overridesGen}): ${reason}`,
      uuid,
      details: { by, from, reason, overridesGen, writer: here.name },
    },
    journalPath(io.env),
  );
  io.out(`override recorded: the next start of ${mdadmUuid(uuid)} on ${from} may start from the members it sees (overrides ledger events ${overridesGen}).`);
  io.out("Writes that exist only on the members it cannot see are lost. The override is used once.");
  return OVERRIDE_EXIT.OK;
}
