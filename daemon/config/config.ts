/**
 * pmsappd's configuration: /etc/pmsapp/pmsappd.conf in the one pmsapp config format (kv-file), env
 * PMSAPP_CONF overrides the path. Read by the daemon and by the CLI (socket path, peers, token file).
 * Validation never throws: a bad file comes back as a list of reasons an operator can act on.
 */
import { readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import { parseKvFile } from "../../agents/config/kv-file.js";
import { DEFAULT_JOURNAL } from "../../agents/journal/journal.js";
import { GROUP_SYNTAX } from "./group.js";

export const DEFAULT_CONFIG_PATH = "/etc/pmsapp/pmsappd.conf";

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PMSAPP_CONF !== undefined && env.PMSAPP_CONF !== "" ? env.PMSAPP_CONF : DEFAULT_CONFIG_PATH;
}

const ms = (min: number, max: number, dflt: number) => z.coerce.number().int().min(min).max(max).default(dflt);
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface Peer {
  readonly name: string;
  readonly url: string;
}

/** `peers = node1=ws://10.99.0.11:7480 node2=ws://10.99.0.12:7480` (spaces or commas between entries). */
export function parsePeers(text: string): { ok: true; peers: Peer[] } | { ok: false; reason: string } {
  const peers: Peer[] = [];
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = item.indexOf("=");
    const name = eq > 0 ? item.slice(0, eq) : "";
    const url = item.slice(eq + 1);
    if (!NODE_NAME.test(name)) return { ok: false, reason: `peer '${item}': expected name=url with a node name of letters, digits, '.', '_', '-'` };
    if (!/^ws:\/\/[A-Za-z0-9.\-:[\]]+(\/[A-Za-z0-9._\-/]*)?$/.test(url) && !/^ws\+unix:\/[A-Za-z0-9._\-/]+$/.test(url)) {
      return { ok: false, reason: `peer '${name}': url '${url}' must be ws://host:port or ws+unix:/path/to/socket` };
    }
    if (peers.some((p) => p.name === name)) return { ok: false, reason: `peer '${name}' is listed twice` };
    peers.push({ name, url });
  }
  return { ok: true, peers };
}

/** `host:port`, `[v6]:port`; the daemon refuses to guess an address (no wildcard default). */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.\-]+)):(\d{1,5})$/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

const schema = z
  .object({
    node_name: z.string().regex(NODE_NAME, "letters, digits, '.', '_', '-' (at most 63)").optional(),
    socket_path: z.string().regex(/^\/[A-Za-z0-9._\-/]+$/, "an absolute path").max(100, "at most 100 characters (Unix socket limit)").default("/run/pmsapp/pmsappd.sock"),
    socket_mode: z.string().regex(/^0?[0-7]{3}$/, "an octal mode like 0660").default("0660"),
    socket_group: z.union([z.literal(""), z.string().regex(GROUP_SYNTAX, "a group name or a numeric gid")]).default(""),
    tcp_listen: z.string().default(""),
    token_file: z.string().regex(/^\/[A-Za-z0-9._\-/]+$/, "an absolute path").default("/etc/pmsapp/token"),
    peers: z.string().default(""),
    journal_path: z.string().regex(/^\/[A-Za-z0-9._\-/]+$/, "an absolute path").default(DEFAULT_JOURNAL),
    host_root: z.string().regex(/^\/[A-Za-z0-9._\-/]*$/, "an absolute path").default("/"),
    host_format: z.enum(["live", "capture"]).default("live"),
    md_poll_ms: ms(100, 60_000, 2_000),
    md_debounce_ms: ms(0, 5_000, 50),
    session_poll_ms: ms(100, 60_000, 2_000),
    tgt_poll_ms: ms(100, 300_000, 5_000),
    tgt_timeout_ms: ms(100, 60_000, 5_000),
    ring_size: ms(10, 1_000_000, 10_000),
    max_clients: ms(1, 100_000, 256),
    max_payload_bytes: ms(16, 1_048_576, 4_096),
    slow_client_bytes: ms(1_024, 64 * 1_048_576, 262_144),
    ping_interval_ms: ms(100, 600_000, 15_000),
    bookmark_interval_ms: ms(0, 3_600_000, 30_000),
    log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
  })
  .strict();

export interface DaemonConfig {
  readonly nodeName: string;
  readonly socketPath: string;
  readonly socketMode: number;
  /** Group given to the socket (and to its folder when that is closed to others); undefined = root's. */
  readonly socketGroup: string | undefined;
  readonly tcpListen: { readonly host: string; readonly port: number } | undefined;
  readonly tokenFile: string;
  readonly peers: readonly Peer[];
  readonly journalPath: string;
  readonly hostRoot: string;
  readonly hostFormat: "live" | "capture";
  readonly mdPollMs: number;
  readonly mdDebounceMs: number;
  readonly sessionPollMs: number;
  readonly tgtPollMs: number;
  readonly tgtTimeoutMs: number;
  readonly ringSize: number;
  readonly maxClients: number;
  readonly maxPayloadBytes: number;
  readonly slowClientBytes: number;
  readonly pingIntervalMs: number;
  readonly bookmarkIntervalMs: number;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace";
}

export type ConfigResult = { ok: true; config: DaemonConfig } | { ok: false; errors: string[] };

/** Validate the key/value pairs of a config file (missing keys take their defaults). */
export function configFromValues(values: Readonly<Record<string, string>>, fileName = "pmsappd.conf"): ConfigResult {
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) =>
        i.code === "unrecognized_keys" ? `${fileName}: unknown key(s) ${i.keys.map((k) => `'${k}'`).join(", ")}` : `${fileName}: ${i.path.join(".")}: ${i.message}`,
      ),
    };
  }
  const v = parsed.data;
  const errors: string[] = [];
  let tcpListen: DaemonConfig["tcpListen"];
  if (v.tcp_listen !== "") {
    tcpListen = parseListen(v.tcp_listen);
    if (tcpListen === undefined) errors.push(`${fileName}: tcp_listen: '${v.tcp_listen}' is not host:port or [ipv6]:port`);
  }
  const peers = parsePeers(v.peers);
  if (!peers.ok) errors.push(`${fileName}: peers: ${peers.reason}`);
  const name = v.node_name ?? hostname().split(".")[0] ?? "";
  if (!NODE_NAME.test(name)) errors.push(`${fileName}: node_name is not set and the host name '${name}' is not usable; set node_name`);
  if (errors.length > 0 || !peers.ok) return { ok: false, errors };
  return {
    ok: true,
    config: {
      nodeName: name,
      socketPath: v.socket_path,
      socketMode: parseInt(v.socket_mode, 8),
      socketGroup: v.socket_group === "" ? undefined : v.socket_group,
      tcpListen,
      tokenFile: v.token_file,
      peers: peers.peers,
      journalPath: v.journal_path,
      hostRoot: v.host_root,
      hostFormat: v.host_format,
      mdPollMs: v.md_poll_ms,
      mdDebounceMs: v.md_debounce_ms,
      sessionPollMs: v.session_poll_ms,
      tgtPollMs: v.tgt_poll_ms,
      tgtTimeoutMs: v.tgt_timeout_ms,
      ringSize: v.ring_size,
      maxClients: v.max_clients,
      maxPayloadBytes: v.max_payload_bytes,
      slowClientBytes: v.slow_client_bytes,
      pingIntervalMs: v.ping_interval_ms,
      bookmarkIntervalMs: v.bookmark_interval_ms,
      logLevel: v.log_level,
    },
  };
}

export function parseConfigText(text: string, fileName = "pmsappd.conf"): ConfigResult {
  const kv = parseKvFile(text, fileName);
  if (!kv.ok) return { ok: false, errors: [...kv.errors] };
  return configFromValues(kv.values, fileName);
}

/** Read and validate a config file. A missing file means "all defaults" only when `missingOk`. */
export function loadConfig(path: string, missingOk = false): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && missingOk) return parseConfigText("", path);
    return { ok: false, errors: [`${path}: cannot read (${code ?? String(e)})`] };
  }
  return parseConfigText(text, path);
}

/**
 * The bearer token for the TCP listener: one line in a file that only its owner may read (mode 0600 or
 * stricter), at least 16 characters, no whitespace inside.
 */
export function readTokenFile(path: string): { ok: true; token: string } | { ok: false; reason: string } {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    return { ok: false, reason: `token file ${path}: cannot stat (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  if ((mode & 0o077) !== 0) return { ok: false, reason: `token file ${path}: mode ${(mode & 0o777).toString(8)} lets others read it; chmod 600 ${path}` };
  let token: string;
  try {
    token = readFileSync(path, "utf8").trim();
  } catch (e) {
    return { ok: false, reason: `token file ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  if (token.length < 16 || /\s/.test(token)) return { ok: false, reason: `token file ${path}: expected one token of at least 16 characters without spaces` };
  return { ok: true, token };
}
