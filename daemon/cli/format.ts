/** Human-readable lines for events, with optional ANSI colours by severity. */
import type { AttributeValue, Attributes, Frame } from "../model/events.js";

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
export const COLOURS: Paint = { red: wrap("31"), yellow: wrap("33"), dim: wrap("2"), bold: wrap("1") };
export const PLAIN: Paint = { red: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };

export function choosePaint(isTty: boolean, env: NodeJS.ProcessEnv, forced: boolean | undefined): Paint {
  if (forced === false) return PLAIN;
  return isTty && (env.NO_COLOR === undefined || env.NO_COLOR === "") && env.TERM !== "dumb" ? COLOURS : PLAIN;
}

export function showValue(v: AttributeValue | undefined): string {
  if (v === undefined || v === null) return "none";
  if (Array.isArray(v)) return v.length === 0 ? "[]" : v.join(",");
  return String(v);
}

/** A short summary of an entity's attributes, by kind. */
export function summary(kind: string, s: Attributes): string {
  switch (kind) {
    case "array": {
      const sync = s.syncPercent !== null && s.syncPercent !== undefined ? ` ${showValue(s.syncAction)} ${showValue(s.syncPercent)}%` : ` sync ${showValue(s.syncAction)}`;
      return `${showValue(s.arrayState)} ${showValue(s.level)} disks ${showValue(s.raidDisks)} degraded ${showValue(s.degraded)}${sync}`;
    }
    case "member":
      return `${showValue(s.condition)} slot ${showValue(s.slot)} ${showValue(s.device)}`;
    case "session":
      return `${showValue(s.state)} ${showValue(s.session)} disks ${showValue(s.disks)}`;
    case "target":
      return `${showValue(s.state)} tid ${showValue(s.tid)} initiators ${showValue(s.initiators)} acl ${showValue(s.acl)}`;
    case "lun":
      return `${showValue(s.type)} ${showValue(s.backingStore)} online ${showValue(s.online)}`;
    case "initiator":
      return `${showValue(s.alias)} from ${showValue(s.addresses)}`;
    case "agent": {
      const rc = s.rc !== null && s.rc !== undefined ? ` rc=${showValue(s.rc)}` : "";
      const d = s.decision !== null && s.decision !== undefined ? ` ${showValue(s.decision)}` : "";
      const ms = s.durationMs !== null && s.durationMs !== undefined ? ` ${showValue(s.durationMs)}ms` : "";
      const why = s.reason !== null && s.reason !== undefined ? `: ${showValue(s.reason)}` : "";
      return `${showValue(s.action)} ${showValue(s.step)}${d}${rc}${ms}${why}`;
    }
    default:
      return "";
  }
}

const time = (ts: string): string => (ts.length >= 23 ? ts.slice(11, 23) : ts);

export function formatFrame(f: Frame, paint: Paint, nodeWidth = 0): string {
  const node = f.node.padEnd(nodeWidth);
  if (!("kind" in f)) {
    const what =
      f.type === "snapshot-begin" ? `snapshot of ${f.count ?? "?"} entities (${f.reason ?? ""})` :
      f.type === "snapshot-end" ? "end of snapshot" :
      f.type === "replay-begin" ? `replaying ${f.count ?? "?"} missed events` :
      f.type === "replay-end" ? "end of replay" : "bookmark";
    return paint.dim(`${node} ${time(f.ts)} -- ${what} -- epoch ${f.epoch} seq ${f.seq}`);
  }
  let detail: string;
  if (f.type === "change" && f.old !== undefined && f.kind !== "agent") {
    detail = Object.keys(f.old)
      .map((k) => `${k} ${showValue(f.old?.[k])} -> ${showValue(f.state[k])}`)
      .join(", ");
  } else detail = summary(f.kind, f.state);
  const line = `${node} ${time(f.ts)} ${f.type.padEnd(7)} ${f.kind.padEnd(9)} ${f.id}  ${detail}`;
  if (f.severity === "critical") return paint.red(line);
  if (f.severity === "warning") return paint.yellow(line);
  return line;
}
