import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeRunner } from "../../test/support/fake-runner.js";
import { fixture } from "../../test/support/fixtures.js";
import { captureState } from "../model/capture-state.js";
import { EventHub } from "../server/hub.js";
import { EventServer } from "../server/ws-server.js";
import { runCli, type CliIo } from "./run.js";
import { HELP, EXIT_CODES } from "./help.js";

const spike = (s: string) => captureState(fixture("spike-2026-11-24", s));
const TOKEN = "cli-test-token-0123456789";
const quiet = { info: () => undefined, warn: () => undefined };
const limits = { maxClients: 10, slowClientBytes: 1 << 20, pingIntervalMs: 60_000, bookmarkIntervalMs: 0 };
const notInstalled = (p: string) => ({ failedToStart: `${p} not found in /usr/sbin:/usr/bin:/sbin:/bin`, exitCode: null });

function io(env: NodeJS.ProcessEnv, interrupted: Promise<void> = new Promise(() => undefined)) {
  const out: string[] = [];
  const err: string[] = [];
  const runner = new FakeRunner().answer(["crm_mon"], notInstalled("crm_mon")).answer(["clustat"], notInstalled("clustat"));
  const cli: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, isTty: false, runner, interrupted, reconnectDelayMs: 50 };
  return { cli, out, err };
}

describe("pmsapp CLI against real daemons", () => {
  let dir: string;
  let hub1: EventHub;
  let hub2: EventHub;
  let servers: EventServer[];
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "pmsapp-cli-"));
    hub1 = new EventHub("node1", 100);
    hub2 = new EventHub("node2", 100);
    hub1.setState(spike("raid1-recovering"));
    hub2.setState(spike("raid1-healthy"));
    const s1 = new EventServer({ hub: hub1, socketPath: join(dir, "n1.sock"), token: () => TOKEN, limits, maxPayloadBytes: 4096, log: quiet });
    const s2 = new EventServer({ hub: hub2, tcp: { host: "127.0.0.1", port: 0 }, token: () => TOKEN, limits, maxPayloadBytes: 4096, log: quiet });
    servers = [s1, s2];
    await Promise.all(servers.map((s) => s.start()));
    writeFileSync(join(dir, "token"), TOKEN, { mode: 0o600 });
    writeFileSync(
      join(dir, "pmsappd.conf"),
      [
        "node_name = node1",
        `socket_path = ${join(dir, "n1.sock")}`,
        `token_file = ${join(dir, "token")}`,
        // node3: nothing listens on port 1.
        `peers = node1=ws://127.0.0.1:1 node2=ws://127.0.0.1:${s2.tcpPort} node3=ws://127.0.0.1:1`,
      ].join("\n"),
    );
    env = { PMSAPP_CONF: join(dir, "pmsappd.conf") };
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("status: every node on one screen, the unreachable one as a clear line, exit 7", async () => {
    const { cli, out } = io(env);
    expect(await runCli(["status"], cli)).toBe(7);
    const text = out.join("\n");
    expect(text).toContain("cluster service: no cluster manager found");
    // node1 is asked over its local socket (its peer URL is not used for itself).
    expect(text).toMatch(/node1\n  md127 raid1 clean, degraded 1 of 2, recover 10\.59%/);
    expect(text).toContain("    slot 1    sdb    recovering");
    expect(text).toMatch(/node2\n  md127 raid1 clean, degraded 0 of 2/);
    expect(text).toContain("  target iqn.2024-01.lab.pmslab:node1.data ready");
    expect(text).toContain("    LUN 1 /dev/vdb online true");
    expect(text).toMatch(/node3: connection refused by ws:\/\/127\.0\.0\.1:1/);
    expect(text).not.toMatch(/\x1b\[/); // not a terminal: no colours
  });

  it("status --json: one JSON object per node (with the error for the unreachable one), then the cluster service", async () => {
    const { cli, out } = io(env);
    expect(await runCli(["status", "--json"], cli)).toBe(7);
    const lines = out.map((l) => JSON.parse(l) as { node?: string; ok?: boolean; error?: string; entities?: { kind: string }[]; cluster?: unknown });
    expect(lines.map((l) => [l.node, l.ok])).toEqual([["node1", true], ["node2", true], ["node3", false], [undefined, undefined]]);
    expect(lines[0]?.entities?.filter((e) => e.kind === "member").length).toBe(2);
    expect(lines[2]?.error).toMatch(/connection refused/);
    expect(lines[3]).toEqual({ cluster: null });
  });

  it("events --cluster --json: one JSON object per line, markers included, each with its node", async () => {
    const { cli, out, err } = io(env);
    expect(await runCli(["events", "--cluster", "--json"], cli)).toBe(7);
    const frames = out.map((l) => JSON.parse(l) as { node: string; type: string });
    expect(new Set(frames.map((f) => f.node))).toEqual(new Set(["node1", "node2"]));
    expect(frames.filter((f) => f.type === "snapshot-end").length).toBe(2);
    expect(err.join("\n")).toMatch(/node3: connection refused/);
  });

  it("events --node node2 with a wrong token exits 4 and names the token file", async () => {
    writeFileSync(join(dir, "token"), "another-token-0123456789", { mode: 0o600 });
    const { cli, err } = io(env);
    expect(await runCli(["events", "--node", "node2"], cli)).toBe(4);
    expect(err.join("\n")).toContain("refused the bearer token (401)");
  });

  it("events --since resumes; --follow streams live changes and reconnects after the daemon drops it", async () => {
    const { cli, out } = io(env);
    expect(await runCli(["events", "--node", "node2", "--since", `${hub2.epoch}:8`], cli)).toBe(0);
    expect(out[0]).toContain("replaying 2 missed events");

    let stop!: () => void;
    const interrupted = new Promise<void>((r) => (stop = r));
    const follower = io(env, interrupted);
    const running = runCli(["events", "--follow", "--node", "node1"], follower.cli);
    const until = async (pred: () => boolean) => {
      const end = Date.now() + 5000;
      while (!pred()) {
        if (Date.now() > end) throw new Error(`timed out:\n${follower.out.join("\n")}\n${follower.err.join("\n")}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until(() => follower.out.some((l) => l.includes("end of snapshot")));
    hub1.setState(spike("raid1-healthy"));
    await until(() => follower.out.some((l) => l.includes("condition recovering -> in_sync")));
    // The daemon goes away and comes back (same hub: same epoch), the follower resumes.
    await servers[0]!.close();
    await until(() => follower.err.some((l) => l.includes("retrying")));
    servers[0] = new EventServer({ hub: hub1, socketPath: join(dir, "n1.sock"), token: () => TOKEN, limits, maxPayloadBytes: 4096, log: quiet });
    hub1.setState(spike("raid1-member-faulty"));
    await servers[0].start();
    await until(() => follower.out.some((l) => l.includes("condition in_sync -> faulty")));
    expect(follower.out.some((l) => l.includes("replaying"))).toBe(true);
    stop();
    expect(await running).toBe(0);
  });

  it("usage and config errors have their exit codes; help lists every exit code", async () => {
    expect(await runCli(["events", "--node", "node1", "--cluster"], io(env).cli)).toBe(2);
    expect(await runCli(["frobnicate"], io(env).cli)).toBe(2);
    expect(await runCli(["events", "--since", "nope"], io(env).cli)).toBe(2);
    expect(await runCli(["status", "--node", "node9"], io(env).cli)).toBe(2);
    writeFileSync(join(dir, "bad.conf"), "ring_size = -1\n");
    const bad = io({ PMSAPP_CONF: join(dir, "bad.conf") });
    expect(await runCli(["status"], bad.cli)).toBe(6);
    expect(bad.err.join("\n")).toContain("ring_size");
    const help = io(env);
    expect(await runCli(["--help"], help.cli)).toBe(0);
    for (const [code] of EXIT_CODES) expect(help.out.join("\n")).toContain(`  ${code}  `);
    expect(HELP.events).toContain("--follow");
  });
});
