import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { appendJournal } from "../../agents/journal/journal.js";
import { FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { parseConfigText, type DaemonConfig } from "../config/config.js";
import { replayCapture } from "../model/capture-replay.js";
import { frame as frameSchema, type Frame } from "../model/events.js";
import { Daemon } from "./daemon.js";

const spike = (s: string) => fixture("spike-2026-11-24", s);
const logLines: string[] = [];
const log = {
  info: (_o: object, m: string) => logLines.push(`info ${m}`),
  warn: (_o: object, m: string) => logLines.push(`warn ${m}`),
  error: (o: object, m: string) => logLines.push(`error ${m} ${JSON.stringify(o)}`),
};

function configText(dir: string, extra: string[] = [], node = "node1"): string {
  return [
    `node_name = ${node}`,
    `socket_path = ${join(dir, "run", "pmsappd.sock")}`,
    `journal_path = ${join(dir, "journal", "agents.jsonl")}`,
    `host_root = ${join(dir, "host")}`,
    "host_format = capture",
    // Long polls: in these tests changes must arrive through the inotify watches.
    "md_poll_ms = 60000",
    "session_poll_ms = 60000",
    "tgt_poll_ms = 60000",
    "md_debounce_ms = 20",
    ...extra,
  ].join("\n");
}

function follow(url: string) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  ws.on("message", (d) => frames.push(frameSchema.parse(JSON.parse(String(d)))));
  ws.on("error", () => undefined);
  const until = async (pred: (f: Frame[]) => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!pred(frames)) {
      if (Date.now() > end) throw new Error(`timed out; frames: ${frames.map((f) => `${f.type}${"kind" in f ? ` ${f.kind} ${f.id}` : ""}`).join(", ")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { ws, frames, until };
}

const change = (kind: string, id: string) => (frames: Frame[]) => frames.some((f) => f.type === "change" && "kind" in f && f.kind === kind && f.id === id);

describe("pmsappd over a replayed captured node", () => {
  let dir: string;
  let daemon: Daemon;
  let config: DaemonConfig;
  let runner: FakeRunner;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "pmsappd-"));
    replayCapture(spike("raid1-healthy"), join(dir, "host"));
    writeFileSync(join(dir, "pmsappd.conf"), configText(dir));
    const parsed = parseConfigText(configText(dir));
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    config = parsed.config;
    // A captured node replays its captured tgtadm output: no command may run (the runner has no rules).
    runner = new FakeRunner();
    daemon = new Daemon({ config, configFile: join(dir, "pmsappd.conf"), runner, log, withProcessMetrics: false });
    await daemon.start();
  });
  afterEach(async () => {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("streams the captured cycle healthy -> member faulty -> recovering -> healthy as it is replayed into sysfs", async () => {
    const c = follow(`ws+unix:${config.socketPath}:/events`);
    await c.until((f) => f.some((x) => x.type === "snapshot-end"));
    expect(c.frames.filter((f) => f.type === "exists").length).toBe(10);
    expect(c.frames.some((f) => "kind" in f && f.kind === "lun" && f.state.backingStore === "/dev/vdb")).toBe(true);
    expect(runner.calls).toEqual([]);

    replayCapture(spike("raid1-member-faulty"), join(dir, "host"));
    await c.until(change("member", "md127/sdb"));
    const memberEvent = c.frames.find((f) => f.type === "change" && "kind" in f && f.kind === "member");
    expect(memberEvent).toMatchObject({ node: "node1", state: { condition: "faulty" }, old: { condition: "in_sync" }, severity: "critical" });

    replayCapture(spike("raid1-recovering"), join(dir, "host"));
    await c.until((f) => f.some((x) => x.type === "change" && "kind" in x && x.kind === "array" && x.state.syncAction === "recover"));
    const recovering = c.frames.filter((f) => f.type === "change" && "kind" in f && f.kind === "array").at(-1);
    expect(recovering && "state" in recovering ? recovering.state.syncPercent : undefined).toBeCloseTo(10.59, 2);

    replayCapture(spike("raid1-healthy"), join(dir, "host"));
    await c.until((f) => f.some((x) => x.type === "change" && "kind" in x && x.kind === "member" && x.state.condition === "in_sync"));
    const seqs = c.frames.filter((f) => f.type === "change").map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    c.ws.close();
  });

  it("turns appended journal lines into agent events and metrics", async () => {
    const c = follow(`ws+unix:${config.socketPath}:/events`);
    await c.until((f) => f.some((x) => x.type === "snapshot-end"));
    const base = { time: new Date().toISOString(), agent: "raid", instance: "lab", action: "start" };
    appendJournal({ ...base, kind: "decision", decision: "assemble", reason: "both members fresh" }, config.journalPath);
    appendJournal({ ...base, kind: "action-end", rc: 0, durationMs: 2300 }, config.journalPath);
    writeFileSync(config.journalPath, "this is not json\n", { flag: "a" });
    await c.until((f) => f.filter((x) => "kind" in x && x.kind === "agent").length === 2);
    const agent = c.frames.filter((f) => "kind" in f && f.kind === "agent");
    expect(agent.map((f) => [f.type, "state" in f ? f.state.step : null])).toEqual([
      ["create", "decision"],
      ["change", "action-end"],
    ]);
    const metrics = (await daemon.metrics.render()).body;
    expect(metrics).toContain('pmsapp_agent_actions_total{agent="raid",action="start",rc="0"} 1');
    await new Promise((r) => setTimeout(r, 100));
    expect(logLines.some((l) => l.includes("skipped a journal line"))).toBe(true);
    c.ws.close();
  });

  it("an invalid config change is ignored and logged; a valid one is applied; clients stay connected", async () => {
    const c = follow(`ws+unix:${config.socketPath}:/events`);
    await c.until((f) => f.some((x) => x.type === "snapshot-end"));
    writeFileSync(join(dir, "pmsappd.conf"), configText(dir, ["max_clients = many"]));
    const end = Date.now() + 5000;
    while (!logLines.some((l) => l.startsWith("error invalid config change ignored")) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(logLines.find((l) => l.startsWith("error invalid config change ignored"))).toContain("max_clients");
    expect(daemon.currentConfig.maxClients).toBe(256);

    writeFileSync(join(dir, "pmsappd.conf"), configText(dir, ["max_clients = 7"], "renamed"));
    while (daemon.currentConfig.maxClients !== 7 && Date.now() < end + 5000) await new Promise((r) => setTimeout(r, 50));
    expect(daemon.currentConfig.maxClients).toBe(7);
    expect(daemon.currentConfig.nodeName).toBe("node1"); // needs a restart
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  }, 15_000);
});

describe("pmsappd re-arms its watches when arrays go and come back", () => {
  it("stopped array: destroy events; re-assembled: create events at the next discovery pass, then watched again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pmsappd-rearm-"));
    replayCapture(spike("raid1-healthy"), join(dir, "host"));
    const parsed = parseConfigText(configText(dir).replace("md_poll_ms = 60000", "md_poll_ms = 300"));
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    const daemon = new Daemon({ config: parsed.config, runner: new FakeRunner(), log, withProcessMetrics: false });
    await daemon.start();
    try {
      const c = follow(`ws+unix:${parsed.config.socketPath}:/events`);
      await c.until((f) => f.some((x) => x.type === "snapshot-end"));
      replayCapture(spike("raid1-stopped-examine"), join(dir, "host"));
      await c.until((f) => f.some((x) => x.type === "destroy" && "kind" in x && x.kind === "array"));
      replayCapture(spike("raid1-healthy"), join(dir, "host"));
      await c.until((f) => f.some((x) => x.type === "create" && "kind" in x && x.kind === "array"));
      const end = Date.now() + 3000;
      while (!daemon["sysfs"].watchedPaths.includes("/sys/block/md127/md/dev-sdb/state") && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(daemon["sysfs"].watchedPaths).toContain("/sys/block/md127/md/dev-sdb/state");
      replayCapture(spike("raid1-member-faulty"), join(dir, "host"));
      await c.until(change("member", "md127/sdb"));
      c.ws.close();
    } finally {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("pmsappd token file", () => {
  it("a new token applies without a restart; a world-readable one is refused and the old one kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pmsappd-token-"));
    replayCapture(spike("raid1-healthy"), join(dir, "host"));
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "first-token-0123456789\n", { mode: 0o600 });
    const parsed = parseConfigText(configText(dir, ["tcp_listen = 127.0.0.1:7480", `token_file = ${tokenFile}`]));
    if (!parsed.ok) throw new Error(parsed.errors.join("; "));
    // Port 0 (any free port) for the test; the config file itself refuses port 0.
    const daemon = new Daemon({ config: { ...parsed.config, tcpListen: { host: "127.0.0.1", port: 0 } }, runner: new FakeRunner(), log, withProcessMetrics: false });
    await daemon.start();
    const metrics = (token: string) => fetch(`http://127.0.0.1:${daemon.server.tcpPort}/metrics`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    const waitFor = async (pred: () => Promise<boolean>) => {
      const end = Date.now() + 5000;
      while (!(await pred())) {
        if (Date.now() > end) throw new Error("timed out");
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      expect(await metrics("first-token-0123456789")).toBe(200);
      writeFileSync(tokenFile, "second-token-0123456789\n");
      await waitFor(async () => (await metrics("second-token-0123456789")) === 200);
      expect(await metrics("first-token-0123456789")).toBe(401);
      const { chmodSync } = await import("node:fs");
      writeFileSync(tokenFile, "third-token-0123456789\n");
      chmodSync(tokenFile, 0o644);
      await waitFor(async () => logLines.some((l) => l.startsWith("error invalid token file change ignored")));
      expect(await metrics("second-token-0123456789")).toBe(200);
    } finally {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
