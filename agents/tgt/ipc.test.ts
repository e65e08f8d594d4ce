import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixture } from "../../test/support/fixtures.js";
import { decodeReply, encodeRequest, ipcDialect, newAccountRequest, OP, tgtadmErrorText, unixSocketTransport, type IpcDialect } from "./ipc.js";

const HOST = fixture("tgt-host-2026-11-24");
const captured = readFileSync(join(HOST, "ipc", "new-account.bin"));

function dialect(version: string): IpcDialect {
  const d = ipcDialect(version);
  if ("error" in d) throw new Error(d.error);
  return d;
}

describe("tgtd management requests", () => {
  it("an account request is byte for byte what tgtadm 1.0.85 sends", () => {
    const d = dialect(readFileSync(join(HOST, "version.txt"), "utf8"));
    expect(d).toEqual({ version: "1.0.85", socketPath: "/var/run/tgtd/socket.0", modeAccount: 7 });
    const mine = newAccountRequest(d, "pmsapp", "s3cret-pass-123");
    expect(mine.length).toBe(157);
    expect(mine.equals(captured)).toBe(true);
  });

  it("refuses values tgtd would split into extra parameters", () => {
    const d = dialect("1.0.85");
    expect(() => newAccountRequest(d, "pmsapp", "secret,user=root")).toThrow(/commas/);
    expect(() => newAccountRequest(d, "pms app", "secretsecret12")).toThrow(/whitespace/);
    expect(() => encodeRequest({ mode: 7, op: OP.NEW }, "a\0b")).toThrow(/NUL/);
  });

  it("socket path and account mode follow the tgt version (tag history of usr/tgtadm.h)", () => {
    expect(dialect("1.0.24")).toEqual({ version: "1.0.24", socketPath: "/var/run/tgtd.ipc_abstract_namespace.0", modeAccount: 6 });
    expect(dialect("1.0.29").modeAccount).toBe(6);
    expect(dialect("1.0.30")).toMatchObject({ modeAccount: 7, socketPath: "/var/run/tgtd.ipc_abstract_namespace.0" });
    expect(dialect("1.0.57").socketPath).toBe("/var/run/tgtd.ipc_abstract_namespace.0");
    expect(dialect("1.0.58").socketPath).toBe("/var/run/tgtd/socket.0");
    expect(ipcDialect("1.0.85", 3, "/tmp/x/socket")).toMatchObject({ socketPath: "/tmp/x/socket.3" });
    expect(ipcDialect("tgtadm: unrecognized option")).toEqual({ error: "tgtadm --version printed 'tgtadm: unrecognized option', not a tgt version" });
    expect(ipcDialect("2.0.1")).toHaveProperty("error");
  });

  it("a reply is complete only once len bytes arrived", () => {
    const ok = Buffer.from([0, 0, 0, 0, 8, 0, 0, 0]);
    expect(decodeReply(ok.subarray(0, 5))).toBeUndefined();
    expect(decodeReply(ok)).toEqual({ err: 0, data: "" });
    expect(tgtadmErrorText(14)).toBe("this account already exists (tgtadm error 14)");
  });
});

// A real tgtd on this host (the same package as in the lab guests), on its own socket and a loopback portal.
const TGTD = "/usr/sbin/tgtd";
const TGTADM = "/usr/sbin/tgtadm";
const canRunTgtd = existsSync(TGTD) && existsSync(TGTADM) && process.getuid?.() === 0;
if (!canRunTgtd) process.stderr.write(`SKIPPED: agents/tgt/ipc.test.ts live part needs root and ${TGTD} (Debian package tgt)\n`);

describe.skipIf(!canRunTgtd)("against a real tgtd", () => {
  const dir = mkdtempSync(join(tmpdir(), "pmsapp-tgtipc-"));
  const base = join(dir, "socket");
  const port = 20000 + (process.pid % 10000);
  const env = { ...process.env, TGT_IPC_SOCKET: base };
  let tgtd: ChildProcess | undefined;
  const tgtadm = (...args: string[]): string => execFileSync(TGTADM, ["-C", String(port), ...args], { env, encoding: "utf8" });

  afterAll(() => {
    try {
      tgtadm("--op", "delete", "--mode", "system");
    } catch {
      tgtd?.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the account over the socket; tgtadm lists it; a second create is refused with tgtd's error", async () => {
    tgtd = spawn(TGTD, ["-f", "-C", String(port), "--iscsi", `portal=127.0.0.1:${port}`], { env, stdio: "ignore" });
    const d = ipcDialect(tgtadm("--version"), port, base);
    if ("error" in d) throw new Error(d.error);
    const transport = unixSocketTransport();
    let first = await transport.send(d.socketPath, newAccountRequest(d, "pmsapp", "s3cret-pass-123"), 5000);
    for (let i = 0; i < 50 && !first.ok; i++) {
      await new Promise((r) => setTimeout(r, 100)); // tgtd still starting
      first = await transport.send(d.socketPath, newAccountRequest(d, "pmsapp", "s3cret-pass-123"), 5000);
    }
    expect(first).toEqual({ ok: true, err: 0, data: "" });
    expect(tgtadm("--lld", "iscsi", "--op", "show", "--mode", "account")).toBe("Account list:\n    pmsapp\n");
    const again = await transport.send(d.socketPath, newAccountRequest(d, "pmsapp", "other-secret-456"), 5000);
    expect(again).toEqual({ ok: true, err: 14, data: "" });
    // and a show request over the socket returns tgtadm's own text
    const show = await transport.send(d.socketPath, encodeRequest({ mode: d.modeAccount, op: OP.SHOW }, ""), 5000);
    expect(show).toEqual({ ok: true, err: 0, data: "Account list:\n    pmsapp\n" });
  });

  it("no tgtd on the socket: daemon down, with the path", async () => {
    const r = await unixSocketTransport().send(join(dir, "nothing.0"), encodeRequest({ mode: 7, op: OP.SHOW }, ""), 2000);
    expect(r).toMatchObject({ ok: false, daemonDown: true });
    expect(r.ok ? "" : r.reason).toContain("nothing.0");
  });
});
