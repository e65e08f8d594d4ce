/**
 * How an agent run tells what it did: structured log lines on stderr (never stdout: meta-data owns it)
 * and records in the agents' journal (one per decision and one per action end). This light version has
 * no dependencies (status path); the heavy actions plug a pino logger into the same interface.
 */
import { appendJournal, type JournalRecord } from "../journal/journal.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Reporter {
  log(level: LogLevel, msg: string, fields?: Readonly<Record<string, unknown>>): void;
  /** One decision with its reason: logged and journaled. */
  decision(decision: string, reason: string, details?: Readonly<Record<string, unknown>>): void;
  /** The end of the action: logged and journaled with its exit code. */
  end(rc: number, reason: string, details?: Readonly<Record<string, unknown>>): void;
}

export interface ReporterContext {
  readonly instance: string;
  readonly action: string;
  readonly uuid?: string;
  readonly journalFile: string;
  readonly startedAt: number;
  readonly now?: () => number;
}

const LEVELS: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

export type LineLogger = (level: LogLevel, msg: string, fields: Readonly<Record<string, unknown>>) => void;

/** A pino-compatible JSON line on stderr (level numbers as pino's), for the light path. */
export function stderrLineLogger(write: (line: string) => void = (l) => process.stderr.write(l)): LineLogger {
  return (level, msg, fields) => {
    try {
      write(JSON.stringify({ level: LEVELS[level], time: Date.now(), name: "pmsapp-raid", ...fields, msg }) + "\n");
    } catch {
      /* stderr closed (rgmanager meta-data): nothing to do */
    }
  };
}

export function createReporter(ctx: ReporterContext, line: LineLogger): Reporter {
  const now = ctx.now ?? Date.now;
  const base = { instance: ctx.instance, action: ctx.action, ...(ctx.uuid ? { uuid: ctx.uuid } : {}) };
  const journal = (r: Omit<JournalRecord, "time" | "agent" | "instance" | "action">): void => {
    appendJournal({ time: new Date(now()).toISOString(), agent: "raid", instance: ctx.instance, action: ctx.action, ...(ctx.uuid ? { uuid: ctx.uuid } : {}), ...r }, ctx.journalFile);
  };
  return {
    log(level, msg, fields) {
      line(level, msg, { ...base, ...fields });
    },
    decision(decision, reason, details) {
      line(decision.startsWith("refuse") || decision.startsWith("force") ? "warn" : "info", reason, { ...base, decision, ...(details ? { details } : {}) });
      journal({ kind: "decision", decision, reason, ...(details ? { details } : {}) });
    },
    end(rc, reason, details) {
      const durationMs = now() - ctx.startedAt;
      line(rc === 0 ? "info" : "warn", reason, { ...base, rc, durationMs });
      journal({ kind: "action-end", rc, reason, durationMs, ...(details ? { details } : {}) });
    },
  };
}
