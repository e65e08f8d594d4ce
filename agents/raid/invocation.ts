/**
 * What one run of the agent was asked to do, read from argv, the environment and (LSB face) swraid.conf:
 * which face, which action, which check depth, by when it must be done, and the raw parameter strings.
 * Built-ins only (light path). The face comes from PMSAPP_FACE, which the shim sets: never from OCF
 * variables, because rgmanager runs meta-data with none.
 */
import { readFileSync } from "node:fs";
import { parseKvFile } from "../config/kv-file.js";
import { paramsFromOcfEnv, unknownParamNames, type RaidParams } from "./params.js";

export const FACES = ["ocf", "rgmanager", "lsb"] as const;
export type Face = (typeof FACES)[number];

export type Action = "start" | "stop" | "status" | "monitor" | "meta-data" | "validate-all";
export type CheckDepth = 0 | 10 | 20;

export const DEFAULT_SWRAID_CONF = "/etc/pmsapp/swraid.conf";

const ACTIONS_BY_FACE: Record<Face, readonly Action[]> = {
  ocf: ["start", "stop", "monitor", "status", "meta-data", "validate-all"],
  rgmanager: ["start", "stop", "status", "monitor", "meta-data", "validate-all"],
  lsb: ["start", "stop", "status"],
};

export function faceFromEnv(env: Readonly<Record<string, string | undefined>>): Face | undefined {
  const f = env.PMSAPP_FACE;
  return (FACES as readonly string[]).includes(f ?? "") ? (f as Face) : undefined;
}

export function actionFor(face: Face, word: string | undefined): Action | undefined {
  return ACTIONS_BY_FACE[face].find((a) => a === word);
}

/**
 * OCF_CHECK_LEVEL: "if a requested level is not implemented, the RA should perform the next lower level
 * supported" (OCF 1.0). Absent means 0; anything that is not a whole number is an argument error.
 */
export function checkDepth(text: string | undefined): CheckDepth | undefined {
  if (text === undefined || text.trim() === "") return 0;
  if (!/^\d{1,4}$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return n >= 20 ? 20 : n >= 10 ? 10 : 0;
}

/**
 * The time the cluster manager gave this action, in ms, when it said: Pacemaker passes
 * OCF_RESKEY_CRM_meta_timeout in ms, rgmanager OCF_RESKEY_RGMANAGER_meta_timeout in seconds (0 or absent
 * means unknown). The LSB face has none.
 */
export function managerTimeoutMs(face: Face, env: Readonly<Record<string, string | undefined>>): number | undefined {
  const positive = (t: string | undefined): number | undefined => (t !== undefined && /^\d{1,9}$/.test(t.trim()) && Number(t) > 0 ? Number(t) : undefined);
  if (face === "ocf") return positive(env.OCF_RESKEY_CRM_meta_timeout);
  if (face === "rgmanager") {
    const s = positive(env.OCF_RESKEY_RGMANAGER_meta_timeout);
    return s === undefined ? undefined : s * 1000;
  }
  return undefined;
}

/**
 * The agent's own budget: the manager's timeout minus a margin for process start and exit (10%,
 * between 0.5 s and 3 s), or the parameter's default for the action when the manager says nothing.
 */
export function actionBudgetMs(action: Action, params: RaidParams, managerMs: number | undefined): number {
  if (managerMs !== undefined) {
    const margin = Math.min(3000, Math.max(500, Math.round(managerMs * 0.1)));
    return Math.max(1000, managerMs - margin);
  }
  const s = action === "start" ? params.startTimeoutS : action === "stop" ? params.stopTimeoutS : params.statusTimeoutS;
  return s * 1000;
}

export type RawParamsResult =
  | { readonly ok: true; readonly raw: Record<string, string | undefined>; readonly source: string }
  | { readonly ok: false; readonly errors: readonly string[]; readonly source: string };

/** Where parameters come from: OCF_RESKEY_* (ocf, rgmanager) or swraid.conf (lsb). */
export function rawParams(face: Face, env: Readonly<Record<string, string | undefined>>): RawParamsResult {
  if (face !== "lsb") return { ok: true, raw: paramsFromOcfEnv(env), source: "OCF_RESKEY_" };
  const file = env.PMSAPP_SWRAID_CONF !== undefined && env.PMSAPP_SWRAID_CONF !== "" ? env.PMSAPP_SWRAID_CONF : DEFAULT_SWRAID_CONF;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return { ok: false, errors: [`cannot read ${file} (${code}); write it from /usr/share/doc/pmsapp/swraid.conf`], source: file };
  }
  const parsed = parseKvFile(text, file);
  if (!parsed.ok) return { ok: false, errors: parsed.errors, source: file };
  const unknown = unknownParamNames(parsed.values);
  if (unknown.length > 0) return { ok: false, errors: unknown.map((k) => `${file}: unknown key '${k}'`), source: file };
  return { ok: true, raw: { ...parsed.values }, source: file };
}

/** How a parameter is called where the operator set it, for messages. */
export function paramLabel(face: Face, source: string, param: string): string {
  return face === "lsb" ? `${source}: ${param}` : `parameter ${param} (OCF_RESKEY_${param})`;
}
