/**
 * tgtd's management socket, spoken directly: how the keeper creates a CHAP account without the secret
 * ever being on a command line.
 *
 * `tgtadm --op new --mode account --user U --password P` is the only way tgtadm takes a CHAP secret (no
 * stdin, no file, no environment), so for as long as tgtadm runs the secret is in /proc/<pid>/cmdline,
 * readable by every local user (`ps -ef`). tgt-admin reads `incominguser U P` from targets.conf but passes
 * it to tgtadm the same way. tgtadm itself is only a client of a Unix socket: it writes one request,
 * reads one reply (usr/tgtadm.c ipc_mgmt_req/ipc_mgmt_rsp), and tgtd accepts requests only from a peer
 * with its own uid/gid (usr/mgmt.c ipc_perm, SO_PEERCRED). The keeper runs as root like tgtd, so it
 * writes the same request itself; the secret then only crosses a Unix socket between two root processes.
 *
 * Wire format (fujita/tgt usr/tgtadm.h, unchanged from 1.0.24 to 1.0.97; x86_64/aarch64 little endian,
 * 120 bytes): mode u32 @0, op u32 @4, lld char[64] @8, len u32 @72 (header + body), tid i32 @76,
 * sid u64 @80, lun u64 @88, cid u32 @96, host_no u32 @100, device_type u32 @104, ac_dir u32 @108,
 * pack u32 @112, force u32 @116; then the body "key=value,key=value" with its NUL. Reply: err u32, len u32
 * (8 + data), data. The bytes tgtadm 1.0.85 sends for an account were captured and are compared in the
 * tests (test/fixtures/tgt-host-2026-11-24/ipc/).
 *
 * What changed between versions, read from the tag history:
 *   - MODE_ACCOUNT is 7 since 1.0.30 (MODE_LLD was inserted before MODE_SESSION), 6 before;
 *   - the socket is /var/run/tgtd/socket.<control port> since 1.0.58, /var/run/tgtd.ipc_abstract_namespace.<port>
 *     (a file-system socket despite its name) before. Both tgtadm and tgtd honour TGT_IPC_SOCKET (base path).
 */
import { connect } from "node:net";

export const REQUEST_SIZE = 120;
const LLD_LEN = 64;
export const OP = { NEW: 0, DELETE: 1, SHOW: 2 } as const;

/** tgtadm_errno of tgt >= 1.0.30 (usr/tgtadm_error.h), for messages. */
const TGTADM_ERRORS = [
  "success",
  "unknown error",
  "out of memory",
  "can't find the driver",
  "can't find the target",
  "can't find the logical unit",
  "can't find the session",
  "can't find the connection",
  "can't find the binding",
  "this target already exists",
  "this logical unit number already exists",
  "this binding already exists",
  "this access control rule already exists",
  "this access control rule does not exist",
  "this account already exists",
  "can't find the account",
  "too many accounts",
  "invalid request",
  "this target already has an outgoing account",
  "this target is still active",
  "this logical unit is still active",
  "this driver is busy",
  "this operation isn't supported",
  "unknown parameter",
  "this device has Prevent Removal set",
] as const;

export function tgtadmErrorText(code: number): string {
  return `${TGTADM_ERRORS[code] ?? "unknown error"} (tgtadm error ${code})`;
}

export interface IpcDialect {
  readonly version: string;
  readonly socketPath: string;
  readonly modeAccount: number;
}

/** From `tgtadm --version` ("1.0.85"): where tgtd listens and how it numbers the account mode. */
export function ipcDialect(versionText: string, controlPort = 0, socketBase?: string): IpcDialect | { error: string } {
  const m = /^(\d+)\.(\d+)\.(\d+)\b/.exec(versionText.trim());
  if (m === null) return { error: `tgtadm --version printed '${versionText.trim().slice(0, 60)}', not a tgt version` };
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const atLeast = (p: number): boolean => major > 1 || (major === 1 && (minor > 0 || patch >= p));
  if (major !== 1) return { error: `tgt ${m[0]} is not a 1.x release; its management protocol is not known to pmsapp` };
  const base = socketBase ?? (atLeast(58) ? "/var/run/tgtd/socket" : "/var/run/tgtd.ipc_abstract_namespace");
  return { version: m[0], socketPath: `${base}.${controlPort}`, modeAccount: atLeast(30) ? 7 : 6 };
}

export interface IpcRequest {
  readonly mode: number;
  readonly op: number;
  readonly lld?: string;
  readonly tid?: number;
  readonly sid?: bigint;
  readonly lun?: bigint;
}

/** The request exactly as tgtadm lays it out (its defaults: tid -1, lun UINT64_MAX, the rest 0). */
export function encodeRequest(req: IpcRequest, body: string): Buffer {
  const lld = Buffer.from(req.lld ?? "iscsi", "utf8");
  if (lld.length >= LLD_LEN) throw new Error(`lld name '${req.lld}' is too long`);
  if (body.includes("\0")) throw new Error("a tgtd request body cannot contain NUL");
  const text = Buffer.from(body, "utf8");
  const payload = text.length > 0 ? Buffer.concat([text, Buffer.from([0])]) : Buffer.alloc(0);
  const head = Buffer.alloc(REQUEST_SIZE);
  head.writeUInt32LE(req.mode, 0);
  head.writeUInt32LE(req.op, 4);
  lld.copy(head, 8);
  head.writeUInt32LE(REQUEST_SIZE + payload.length, 72);
  head.writeInt32LE(req.tid ?? -1, 76);
  head.writeBigUInt64LE(req.sid ?? 0n, 80);
  head.writeBigUInt64LE(req.lun ?? 0xffffffffffffffffn, 88);
  return Buffer.concat([head, payload]);
}

/** `tgtadm --op new --mode account --user U --password P`, as a request. Values must not contain commas. */
export function newAccountRequest(dialect: IpcDialect, user: string, password: string): Buffer {
  for (const v of [user, password]) {
    if (v === "" || /[,\s\0]/.test(v)) throw new Error("CHAP user and secret must be non-empty, without commas, whitespace or NUL");
  }
  return encodeRequest({ mode: dialect.modeAccount, op: OP.NEW }, `user=${user},password=${password}`);
}

export type IpcReply = { readonly ok: true; readonly err: number; readonly data: string } | { readonly ok: false; readonly reason: string; readonly daemonDown: boolean };

export interface IpcTransport {
  /** One request, one reply, on a fresh connection (as tgtadm does), bounded by timeoutMs. */
  send(socketPath: string, request: Buffer, timeoutMs: number): Promise<IpcReply>;
}

/** Parse a complete reply buffer; undefined while it is still incomplete. */
export function decodeReply(buf: Buffer): { err: number; data: string } | undefined {
  if (buf.length < 8) return undefined;
  const err = buf.readUInt32LE(0);
  const len = buf.readUInt32LE(4);
  if (len < 8 || buf.length < len) return undefined;
  return { err, data: buf.subarray(8, len).toString("utf8").replace(/\0+$/, "") };
}

export function unixSocketTransport(): IpcTransport {
  return {
    send(socketPath, request, timeoutMs) {
      return new Promise<IpcReply>((resolve) => {
        let chunks = Buffer.alloc(0);
        let done = false;
        const sock = connect(socketPath);
        const finish = (r: IpcReply): void => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          sock.destroy();
          resolve(r);
        };
        const timer = setTimeout(() => finish({ ok: false, reason: `no reply from tgtd on ${socketPath} within ${timeoutMs} ms`, daemonDown: false }), timeoutMs);
        sock.once("connect", () => sock.write(request));
        sock.on("data", (d: Buffer) => {
          chunks = Buffer.concat([chunks, d]);
          const r = decodeReply(chunks);
          if (r !== undefined) finish({ ok: true, ...r });
        });
        sock.once("end", () => {
          const r = decodeReply(chunks);
          finish(r !== undefined ? { ok: true, ...r } : { ok: false, reason: `tgtd closed ${socketPath} after ${chunks.length} byte(s) of reply`, daemonDown: false });
        });
        sock.once("error", (e: NodeJS.ErrnoException) => {
          const down = e.code === "ENOENT" || e.code === "ECONNREFUSED";
          finish({ ok: false, reason: `${socketPath}: ${e.message}${down ? " (is tgtd running?)" : ""}`, daemonDown: down });
        });
      });
    },
  };
}
