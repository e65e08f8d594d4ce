/**
 * Every step of the keeper is logged (pino, stderr) and journaled (agents.jsonl, tailed by pmsappd, which
 * turns the lines into `agent` events). The keeper never waits on either: a failed journal write is ignored.
 */
import pino from "pino";
import { appendJournal, type JournalRecord } from "../journal/journal.js";

export interface KeeperEvents {
  begin(action: string): void;
  /** One step or verdict: `decision` is short and machine-readable, `reason` is for the operator. */
  decision(action: string, decision: string, reason: string, details?: Record<string, unknown>): void;
  warn(action: string, decision: string, reason: string, details?: Record<string, unknown>): void;
  end(action: string, rc: number, reason: string, durationMs: number): void;
}

export function createKeeperEvents(instance: string, uuid: string | undefined, journalFile?: string): KeeperEvents {
  const log = pino({ name: "pmsapp-target", base: { instance } }, pino.destination({ dest: 2, sync: true }));
  const journal = (r: Omit<JournalRecord, "time" | "agent" | "instance">): void => {
    const record: JournalRecord = { time: new Date().toISOString(), agent: "target", instance, ...(uuid !== undefined ? { uuid } : {}), ...r };
    if (journalFile !== undefined) appendJournal(record, journalFile);
    else appendJournal(record);
  };
  return {
    begin(action) {
      log.info({ action }, `${action}: begin`);
      journal({ action, kind: "action-begin" });
    },
    decision(action, decision, reason, details) {
      log.info({ action, decision, ...(details ? { details } : {}) }, reason);
      journal({ action, kind: "decision", decision, reason, ...(details ? { details } : {}) });
    },
    warn(action, decision, reason, details) {
      log.warn({ action, decision, ...(details ? { details } : {}) }, reason);
      journal({ action, kind: "decision", decision, reason, details: { ...(details ?? {}), level: "warning" } });
    },
    end(action, rc, reason, durationMs) {
      (rc === 0 ? log.info.bind(log) : log.error.bind(log))({ action, rc, durationMs }, reason);
      journal({ action, kind: "action-end", rc, reason, durationMs });
    },
  };
}

/** For tests and for check-config: records what would have been logged. */
export interface RecordedEvent {
  readonly kind: "begin" | "decision" | "warn" | "end";
  readonly action: string;
  readonly decision?: string;
  readonly reason?: string;
  readonly rc?: number;
  readonly details?: Record<string, unknown>;
}

export function recordingEvents(): KeeperEvents & { readonly events: RecordedEvent[] } {
  const events: RecordedEvent[] = [];
  return {
    events,
    begin: (action) => void events.push({ kind: "begin", action }),
    decision: (action, decision, reason, details) => void events.push({ kind: "decision", action, decision, reason, ...(details ? { details } : {}) }),
    warn: (action, decision, reason, details) => void events.push({ kind: "warn", action, decision, reason, ...(details ? { details } : {}) }),
    end: (action, rc, reason) => void events.push({ kind: "end", action, rc, reason }),
  };
}
