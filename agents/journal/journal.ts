/**
 * The agents' local journal: one JSON object per line, appended by every agent action and tailed by
 * pmsappd, which turns the lines into `agent` events. An agent never waits on the daemon: appending is a
 * local write whose failure is ignored (the agent's own outcome never depends on the journal).
 * Built-ins only, so the status path can use it.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname } from "node:path";

export const DEFAULT_JOURNAL = "/var/lib/pmsapp/journal/agents.jsonl";
/** Past this size the file is rotated to `<file>.1` (one generation kept). */
export const JOURNAL_MAX_BYTES = 4 * 1024 * 1024;

export interface JournalRecord {
  /** ISO-8601 time of the record. */
  readonly time: string;
  /** Which agent: "raid", "target", "override" … */
  readonly agent: string;
  /** The resource instance (OCF_RESOURCE_INSTANCE or the config name). */
  readonly instance: string;
  /** The action being run: start, stop, status, monitor, validate-all … */
  readonly action: string;
  /** action-begin | decision | action-end */
  readonly kind: "action-begin" | "decision" | "action-end";
  /** For decisions: a short machine-readable verdict, e.g. "assemble", "refuse-stale". */
  readonly decision?: string;
  /** Human-readable reason an operator can act on. */
  readonly reason?: string;
  /** For action-end: the exit code returned to the cluster manager. */
  readonly rc?: number;
  readonly durationMs?: number;
  /** The md array UUID concerned, when there is one. */
  readonly uuid?: string;
  /** Extra structured facts (members, event counts …). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export function journalPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PMSAPP_JOURNAL !== undefined && env.PMSAPP_JOURNAL !== "" ? env.PMSAPP_JOURNAL : DEFAULT_JOURNAL;
}

/**
 * mkdir -p, bounded by the path's depth. Node 20's `mkdirSync(p, { recursive: true })` never returns for
 * a path under /proc (mkdir there fails with ENOENT, so it retries the parent forever): an agent must not
 * hang on a journal it cannot write.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d) && d !== dirname(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d, { mode: 0o750 });
}

/** Append one record; returns false (and does nothing else) when the journal cannot be written. */
export function appendJournal(record: JournalRecord, file: string = journalPath()): boolean {
  try {
    makeDirs(dirname(file));
    try {
      if (statSync(file).size > JOURNAL_MAX_BYTES) renameSync(file, file + ".1");
    } catch {
      /* no file yet */
    }
    appendFileSync(file, JSON.stringify(record) + "\n", { mode: 0o640 });
    return true;
  } catch {
    return false;
  }
}
