/**
 * The `targets` parameter of the raid agent: space-separated `IQN@portal[:port]` entries, the array's
 * members in order. Validation is strict and happens before anything runs: a name that is not an RFC 3720
 * iSCSI name (iqn./eui./naa.) or a portal that is not an IPv4 address, a bracketed IPv6 address or a host
 * name is refused with a message naming the entry, so nothing with shell characters ever reaches a
 * command line. Built-ins only: the status path uses it.
 */

export interface Portal {
  /** IPv4 address, IPv6 address (without brackets) or host name. */
  readonly host: string;
  readonly kind: "ipv4" | "ipv6" | "hostname";
  readonly port: number;
}

export interface TargetSpec {
  readonly iqn: string;
  readonly portal: Portal;
  /** As iscsiadm takes it after -p: `10.99.0.12:3260`, `[fd00::12]:3260`, `san1:3260`. */
  readonly portalArg: string;
  /** The entry as configured, for messages. */
  readonly text: string;
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export const DEFAULT_ISCSI_PORT = 3260;
/** RFC 3720 3.2.6.1: an iSCSI name is at most 223 bytes. */
const MAX_NAME = 223;

const LABEL = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?";
/** iqn.YYYY-MM.reversed.domain[:anything made of lower-case letters, digits, '.', '-', ':'] */
const IQN = new RegExp(`^iqn\\.\\d{4}-(?:0[1-9]|1[0-2])\\.${LABEL}(?:\\.${LABEL})*(?::[a-z0-9.:-]+)?$`);
const EUI = /^eui\.[0-9A-Fa-f]{16}$/;
const NAA = /^naa\.(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/;

/** Show a hostile value without letting it spill over a log line. */
export function quoteForMessage(text: string): string {
  return JSON.stringify(text.length > 80 ? text.slice(0, 80) + "…" : text);
}

export function validateIscsiName(name: string): string | undefined {
  if (name.length === 0) return "the iSCSI name is empty";
  if (Buffer.byteLength(name) > MAX_NAME) return `the iSCSI name is longer than ${MAX_NAME} bytes`;
  if (name.startsWith("iqn.")) {
    return IQN.test(name)
      ? undefined
      : `${quoteForMessage(name)} is not an iqn. name (iqn.YYYY-MM.reversed.domain[:id], lower-case letters, digits, '.', '-', ':')`;
  }
  if (name.startsWith("eui.")) return EUI.test(name) ? undefined : `${quoteForMessage(name)} is not an eui. name (eui. + 16 hex digits)`;
  if (name.startsWith("naa.")) return NAA.test(name) ? undefined : `${quoteForMessage(name)} is not a naa. name (naa. + 16 or 32 hex digits)`;
  return `${quoteForMessage(name)} is not an iSCSI name (must start with iqn., eui. or naa.)`;
}

function isIpv6(text: string): boolean {
  if (!IPV6_CHARS.test(text) || !text.includes(":")) return false;
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === "" ? [] : h.split(":")));
  let count = 0;
  for (const [i, g] of groups.entries()) {
    if (i === groups.length - 1 && g.includes(".")) {
      if (!IPV4.test(g)) return false;
      count += 2;
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) count += 1;
    else return false;
  }
  return halves.length === 2 ? count < 8 : count === 8;
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

export function parsePortal(text: string): ParseResult<Portal> {
  const bad = (why: string): ParseResult<Portal> => ({ ok: false, error: `portal ${quoteForMessage(text)}: ${why}` });
  let host: string;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return bad("unterminated '[' (write IPv6 as [address]:port)");
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "" && !rest.startsWith(":")) return bad("expected ':port' after ']'");
    portText = rest === "" ? undefined : rest.slice(1);
    if (!isIpv6(host)) return bad("not an IPv6 address inside [ ]");
  } else {
    const colons = text.split(":").length - 1;
    if (colons > 1) return bad("an IPv6 address must be written in brackets, e.g. [fd00::1]:3260");
    const colon = text.indexOf(":");
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  const port = portText === undefined ? DEFAULT_ISCSI_PORT : parsePort(portText);
  if (port === undefined) return bad("the port must be a number from 1 to 65535");
  if (text.startsWith("[")) return { ok: true, value: { host, kind: "ipv6", port } };
  if (IPV4.test(host)) return { ok: true, value: { host, kind: "ipv4", port } };
  if (/^[\d.]+$/.test(host)) return bad("not a valid IPv4 address");
  if (HOSTNAME.test(host)) return { ok: true, value: { host, kind: "hostname", port } };
  return bad("not an IPv4 address, [IPv6] address or host name");
}

export function portalArg(p: Portal): string {
  return p.kind === "ipv6" ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`;
}

export function parseTargetSpec(entry: string): ParseResult<TargetSpec> {
  const at = entry.indexOf("@");
  if (at < 0 || entry.indexOf("@", at + 1) >= 0) {
    return { ok: false, error: `${quoteForMessage(entry)} is not IQN@portal[:port]` };
  }
  const iqn = entry.slice(0, at);
  const nameError = validateIscsiName(iqn);
  if (nameError !== undefined) return { ok: false, error: nameError };
  const portal = parsePortal(entry.slice(at + 1));
  if (!portal.ok) return portal;
  return { ok: true, value: { iqn, portal: portal.value, portalArg: portalArg(portal.value), text: entry } };
}

/** The whole `targets` value: one or more entries separated by blanks; duplicates are refused. */
export function parseTargetList(text: string): ParseResult<TargetSpec[]> {
  const entries = text.split(/[ \t]+/).filter(Boolean);
  if (entries.length === 0) return { ok: false, error: "no targets given (space-separated IQN@portal[:port])" };
  const out: TargetSpec[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const r = parseTargetSpec(entry);
    if (!r.ok) return r;
    const key = `${r.value.iqn}@${r.value.portalArg}`;
    if (seen.has(key)) return { ok: false, error: `${quoteForMessage(entry)} is listed twice` };
    seen.add(key);
    out.push(r.value);
  }
  return { ok: true, value: out };
}

/**
 * The udev by-path name of a LUN of this target (udev path_id: `ip-<address>:<port>-iscsi-<iqn>-lun-<n>`).
 * Host-name portals appear under the address they resolved to, so they match on port and IQN only.
 */
export function matchesByPathName(name: string, target: TargetSpec): boolean {
  const suffix = new RegExp(`-iscsi-${escapeRegExp(target.iqn)}-lun-\\d+$`);
  if (!suffix.test(name)) return false;
  const prefix = name.slice(0, name.length - (suffix.exec(name)?.[0].length ?? 0));
  if (!prefix.startsWith("ip-") || !prefix.endsWith(`:${target.portal.port}`)) return false;
  if (target.portal.kind === "hostname") return true;
  const address = prefix.slice(3, prefix.length - `:${target.portal.port}`.length).replace(/^\[|\]$/g, "");
  return address.toLowerCase() === target.portal.host.toLowerCase();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
