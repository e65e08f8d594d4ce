import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, parseConfigText, parseListen, parsePeers, readTokenFile } from "./config.js";

describe("pmsappd.conf", () => {
  it("an empty file gives the documented defaults", () => {
    const r = parseConfigText("node_name = node1\n");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      nodeName: "node1",
      socketPath: "/run/pmsapp/pmsappd.sock",
      socketMode: 0o660,
      tcpListen: undefined,
      mdPollMs: 2000,
      ringSize: 10000,
      maxPayloadBytes: 4096,
      journalPath: "/var/lib/pmsapp/journal/agents.jsonl",
      hostFormat: "live",
    });
  });

  it("reads listen address, peers and numbers", () => {
    const r = parseConfigText(
      ["node_name = node2", "tcp_listen = 10.99.0.12:7480", 'peers = "node1=ws://10.99.0.11:7480, node2=ws://10.99.0.12:7480"', "md_poll_ms = 3000"].join("\n"),
    );
    expect(r.ok && r.config.tcpListen).toEqual({ host: "10.99.0.12", port: 7480 });
    expect(r.ok && r.config.peers.map((p) => p.name)).toEqual(["node1", "node2"]);
    expect(r.ok && r.config.mdPollMs).toBe(3000);
  });

  it("refuses unknown keys, bad numbers, bad enums and hostile values with the key named", () => {
    const r = parseConfigText(["node_name = node1", "md_pol_ms = 10", "ring_size = lots", "host_format = weird", "socket_path = /run/x;rm -rf /"].join("\n"), "/etc/pmsapp/pmsappd.conf");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.errors.join("\n");
    expect(text).toContain("unknown key(s) 'md_pol_ms'");
    // zod reports unknown keys first; fix them and the other problems show.
    const r2 = parseConfigText(["node_name = node1", "ring_size = lots", "host_format = weird", "socket_path = /run/x;rm -rf /"].join("\n"));
    expect(r2.ok).toBe(false);
    if (r2.ok) return;
    expect(r2.errors.some((e) => e.includes("ring_size"))).toBe(true);
    expect(r2.errors.some((e) => e.includes("host_format"))).toBe(true);
    expect(r2.errors.some((e) => e.includes("socket_path"))).toBe(true);
  });

  it("refuses a poll interval outside its range and a bad listen address", () => {
    expect(parseConfigText("node_name = n\nmd_poll_ms = 5").ok).toBe(false);
    const r = parseConfigText("node_name = n\ntcp_listen = 0.0.0.0");
    expect(!r.ok && r.errors[0]).toMatch(/tcp_listen: '0.0.0.0' is not host:port/);
  });

  it("kv syntax errors come through with the line number", () => {
    const r = parseConfigText("node_name = n\nthis is not a line\n", "x.conf");
    expect(!r.ok && r.errors[0]).toBe("x.conf:2: expected 'key = value', got 'this is not a line'");
  });

  it("a missing file is an error unless the caller accepts defaults", () => {
    const missing = join(mkdtempSync(join(tmpdir(), "pmsappd-conf-")), "none.conf");
    const r = loadConfig(missing);
    expect(!r.ok && r.errors[0]).toContain("cannot read (ENOENT)");
    expect(loadConfig(missing, true).ok).toBe(true);
  });
});

describe("peers and listen", () => {
  it("accepts ws:// and ws+unix: urls and refuses everything else", () => {
    expect(parsePeers("a=ws://[::1]:7480 b=ws+unix:/run/pmsapp/pmsappd.sock")).toMatchObject({ ok: true });
    expect(parsePeers("a=http://x:1")).toMatchObject({ ok: false });
    expect(parsePeers("a=ws://x:1 a=ws://y:1")).toMatchObject({ ok: false, reason: "peer 'a' is listed twice" });
    expect(parsePeers("ws://x:1")).toMatchObject({ ok: false });
    expect(parsePeers("a=ws://x:1/$(reboot)")).toMatchObject({ ok: false });
  });
  it("parses v4, v6 and names", () => {
    expect(parseListen("127.0.0.1:7480")).toEqual({ host: "127.0.0.1", port: 7480 });
    expect(parseListen("[::1]:7480")).toEqual({ host: "::1", port: 7480 });
    expect(parseListen("node1:99999")).toBeUndefined();
  });
});

describe("token file", () => {
  const dir = mkdtempSync(join(tmpdir(), "pmsappd-token-"));
  it("reads a private token and refuses a world-readable or short one", () => {
    const f = join(dir, "token");
    writeFileSync(f, "0123456789abcdef0123\n", { mode: 0o600 });
    chmodSync(f, 0o600);
    expect(readTokenFile(f)).toEqual({ ok: true, token: "0123456789abcdef0123" });
    chmodSync(f, 0o644);
    expect(readTokenFile(f)).toMatchObject({ ok: false, reason: expect.stringContaining("chmod 600") });
    writeFileSync(join(dir, "short"), "abc", { mode: 0o600 });
    expect(readTokenFile(join(dir, "short"))).toMatchObject({ ok: false });
  });
});

describe("the shipped default config (packaging/config/pmsappd.conf)", () => {
  it("is valid, and its values are the built-in defaults", async () => {
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(new URL("../../packaging/config/pmsappd.conf", import.meta.url), "utf8");
    const shipped = parseConfigText(text + "\nnode_name = node1\n");
    const defaults = parseConfigText("node_name = node1\n");
    expect(shipped.ok).toBe(true);
    expect(shipped.ok && defaults.ok && shipped.config).toEqual(defaults.ok && defaults.config);
  });
});
