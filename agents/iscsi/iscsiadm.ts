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
export async function prepareNodeRecord(runner: Runner, t: TargetSpec, settings: NodeSettings, timeoutMs: () => number): Promise<string | undefined> {
  const created = await runner.run(ISCSIADM, nodeNewArgs(t), { timeoutMs: timeoutMs() });
  if (created.failedToStart !== undefined || created.timedOut || (created.exitCode !== 0 && created.exitCode !== ISCSI_ERR.SESS_EXISTS)) {
    return `creating the node record failed: ${describeResult(created)}`;
  }
  for (const [name, value] of nodeSettings(settings)) {
    const r = await runner.run(ISCSIADM, nodeUpdateArgs(t, name, value), { timeoutMs: timeoutMs() });
    if (r.exitCode !== 0 || r.timedOut || r.failedToStart !== undefined) return `setting ${name} failed: ${describeResult(r)}`;
  }
  return undefined;
}
