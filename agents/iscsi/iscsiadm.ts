/**
 * The iscsiadm commands the raid agent runs, always for one explicit node record (-T <iqn> -p <portal>),
 * never discovery and never a bare `-m node -u` (which logs out every record), and what their exit codes
 * mean (open-iscsi 2.1.8, storage-anchors c.6; captures in login-dead-target/).
 */
import { describeResult, type CommandResult, type Runner } from "../system/command.js";
import type { TargetSpec } from "./target-spec.js";

export const ISCSIADM = "iscsiadm";

/** iscsiadm exit codes (iscsi_err.h) the agent acts on. */
export const ISCSI_ERR = {
  SUCCESS: 0,
  SESS_NOT_FOUND: 2,
  TRANS: 4,
  LOGIN: 5,
  TRANS_TIMEOUT: 8,
  SESS_EXISTS: 15,
  FATAL_LOGIN: 19,
  ISCSID_NOTCONN: 20,
  NO_OBJS_FOUND: 21,
  LOGIN_AUTH_FAILED: 24,
  AGAIN: 29,
  SESS_NOT_CONNECTED: 32,
} as const;

const MEANING: Record<number, string> = {
  2: "session not found",
  4: "transport or connect failure",
  5: "login failure",
  8: "connection timed out",
  15: "session already exists",
  19: "fatal login error",
  20: "cannot reach iscsid (is it running?)",
  21: "no records or sessions found",
  24: "authentication failed",
  29: "try again later",
  32: "session likely not connected",
};

export function iscsiadmMeaning(rc: number | null): string {
  return rc === null ? "no exit code" : (MEANING[rc] ?? `exit ${rc}`);
}

/** Per-record settings written before every login (storage-anchors c.6). */
export interface NodeSettings {
  readonly loginTimeoutS: number;
  readonly loginRetries: number;
  readonly replacementTimeoutS: number;
}

export function nodeSettings(s: NodeSettings): [string, string][] {
  return [
    ["node.conn[0].timeo.login_timeout", String(s.loginTimeoutS)],
    ["node.session.initial_login_retry_max", String(s.loginRetries)],
    ["node.session.timeo.replacement_timeout", String(s.replacementTimeoutS)],
    // only the cluster logs in: never iscsid at boot (the guide's item 14)
    ["node.startup", "manual"],
  ];
}

const record = (t: TargetSpec): string[] => ["-m", "node", "-T", t.iqn, "-p", t.portalArg];
export const nodeNewArgs = (t: TargetSpec): string[] => [...record(t), "-o", "new"];
export const nodeUpdateArgs = (t: TargetSpec, name: string, value: string): string[] => [...record(t), "-o", "update", "-n", name, "-v", value];
export const loginArgs = (t: TargetSpec): string[] => [...record(t), "--login"];
export const logoutArgs = (t: TargetSpec): string[] => [...record(t), "-u"];

export type LoginResult =
  | { readonly kind: "logged-in" | "already-logged-in" }
  | { readonly kind: "failed"; readonly reason: string; readonly notInstalled: boolean };

export function classifyLogin(r: CommandResult): LoginResult {
  if (r.failedToStart !== undefined) return { kind: "failed", reason: describeResult(r), notInstalled: true };
  if (r.timedOut || r.exitCode === null) return { kind: "failed", reason: describeResult(r), notInstalled: false };
  if (r.exitCode === ISCSI_ERR.SUCCESS) return { kind: "logged-in" };
  if (r.exitCode === ISCSI_ERR.SESS_EXISTS) return { kind: "already-logged-in" };
  return { kind: "failed", reason: `${describeResult(r)} [${iscsiadmMeaning(r.exitCode)}]`, notInstalled: false };
}

export type LogoutResult = { readonly kind: "logged-out" | "no-session" } | { readonly kind: "failed"; readonly reason: string };

export function classifyLogout(r: CommandResult): LogoutResult {
  if (r.failedToStart !== undefined || r.timedOut || r.exitCode === null) return { kind: "failed", reason: describeResult(r) };
  if (r.exitCode === ISCSI_ERR.SUCCESS) return { kind: "logged-out" };
  if (r.exitCode === ISCSI_ERR.NO_OBJS_FOUND || r.exitCode === ISCSI_ERR.SESS_NOT_FOUND) return { kind: "no-session" };
  return { kind: "failed", reason: `${describeResult(r)} [${iscsiadmMeaning(r.exitCode)}]` };
}

/**
 * Create (or refresh) the node record of exactly this target and write the agent's settings into it.
 * Returns undefined on success, else the reason.
 */
/**
 * The node record's `name = value` lines (`iscsiadm -m node -T <iqn> -p <portal>`, open-iscsi 2.1.8:
 * test/fixtures/iscsiadm-node-record-2026-11-25). Comment lines (`# BEGIN RECORD 2.1.8`) are skipped.
 */
export function parseNodeRecord(text: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z0-9_.[\]]+) = (.*)$/.exec(line.trimEnd());
    if (m !== null && m[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2]);
  }
  return out;
}

export const nodeShowArgs = (t: TargetSpec): string[] => record(t);

/**
 * Make the target's node record carry the agent's settings, with as few iscsiadm runs as possible (each
 * costs a process start, seconds on a loaded node): read it (one run); when it exists for this target and
 * already has the settings, nothing is written; when some differ, only those are updated. Only a missing
 * or unreadable record is created with `-o new`, which would otherwise put an existing record back to
 * iscsid.conf's defaults (captured). Returns why it failed, or undefined.
 */
export async function prepareNodeRecord(runner: Runner, t: TargetSpec, settings: NodeSettings, timeoutMs: () => number): Promise<string | undefined> {
  const want = nodeSettings(settings);
  const shown = await runner.run(ISCSIADM, nodeShowArgs(t), { timeoutMs: timeoutMs() });
  if (shown.failedToStart !== undefined) return `reading the node record failed: ${describeResult(shown)}`;
  const current = shown.exitCode === 0 && !shown.timedOut ? parseNodeRecord(shown.stdout) : undefined;
  let toWrite = want;
  if (current !== undefined && current.get("node.name") === t.iqn) {
    toWrite = want.filter(([name, value]) => current.get(name) !== value);
  } else {
    const created = await runner.run(ISCSIADM, nodeNewArgs(t), { timeoutMs: timeoutMs() });
    if (created.failedToStart !== undefined || created.timedOut || (created.exitCode !== 0 && created.exitCode !== ISCSI_ERR.SESS_EXISTS)) {
      return `creating the node record failed: ${describeResult(created)}`;
    }
  }
  for (const [name, value] of toWrite) {
    const r = await runner.run(ISCSIADM, nodeUpdateArgs(t, name, value), { timeoutMs: timeoutMs() });
    if (r.exitCode !== 0 || r.timedOut || r.failedToStart !== undefined) return `setting ${name} failed: ${describeResult(r)}`;
  }
  return undefined;
}
