/**
 * The agents' local journal: one JSON object per line, appended by every agent action and tailed by
 * pmsappd, which turns the lines into `agent` events. An agent never waits on the daemon: appending is a
 * local write whose failure is ignored (the agent's own outcome never depends on the journal).
 * Built-ins only, so the status path can use it.
 */
import { appendFileSync, mkdirSync, renameSync, statSync } from "node:fs";
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

/** Append one record; returns false (and does nothing else) when the journal cannot be written. */
export function appendJournal(record: JournalRecord, file: string = journalPath()): boolean {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
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
