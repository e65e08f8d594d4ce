/** Command-line parsing of `pmsapp`: strict, every problem is a usage error with a message. */
import { parseResumePoint } from "../model/events.js";

export interface CommonOptions {
  readonly node: string | undefined;
  readonly cluster: boolean;
  readonly json: boolean;
  readonly color: boolean | undefined;
}

export type Command =
  | { readonly cmd: "help"; readonly topic: "main" | "status" | "events" }
  | ({ readonly cmd: "status" } & CommonOptions)
  | ({ readonly cmd: "events"; readonly follow: boolean; readonly since: { epoch: string; seq: number } | undefined } & CommonOptions);

export type ParsedArgs = { ok: true; command: Command } | { ok: false; error: string };

const NODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h") return { ok: true, command: { cmd: "help", topic: "main" } };
  if (cmd === "help") {
    const topic = rest[0];
    if (topic === undefined) return { ok: true, command: { cmd: "help", topic: "main" } };
    if (topic === "status" || topic === "events") return { ok: true, command: { cmd: "help", topic } };
    return { ok: false, error: `no help for '${topic}'` };
  }
  if (cmd !== "status" && cmd !== "events") return { ok: false, error: `unknown command '${cmd}'` };
  let node: string | undefined;
  let cluster = false;
  let json = false;
  let color: boolean | undefined;
  let follow = false;
  let sinceText: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const value = (): string | undefined => rest[++i];
    if (a === "--help" || a === "-h") return { ok: true, command: { cmd: "help", topic: cmd } };
    else if (a === "--json") json = true;
    else if (a === "--cluster") cluster = true;
    else if (a === "--no-color") color = false;
    else if (a === "--node") {
      const v = value();
      if (v === undefined || !NODE.test(v)) return { ok: false, error: "--node needs a node name (letters, digits, '.', '_', '-')" };
      node = v;
    } else if (cmd === "events" && (a === "--follow" || a === "-f")) follow = true;
    else if (cmd === "events" && a === "--since") {
      sinceText = value();
      if (sinceText === undefined) return { ok: false, error: "--since needs EPOCH:SEQ" };
    } else return { ok: false, error: `unknown option '${a}' for ${cmd}` };
  }
  if (node !== undefined && cluster) return { ok: false, error: "--node and --cluster exclude each other" };
  if (cmd === "status") return { ok: true, command: { cmd, node, cluster, json, color } };
  const since = sinceText === undefined ? undefined : parseResumePoint(sinceText);
  if (sinceText !== undefined && since === undefined) return { ok: false, error: `--since '${sinceText}' is not EPOCH:SEQ` };
  if (since !== undefined && cluster) return { ok: false, error: "--since names one daemon's run; it cannot be used with --cluster" };
  return { ok: true, command: { cmd, node, cluster, json, color, follow, since } };
}
