/**
 * The lab's fence path without VMs: the real guest fence agent (bash) against the real relay and
 * FenceServer on loopback, with a recorded PowerControl in place of the Lab.
 */
import { spawn, spawnSync } from "node:child_process";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FENCE_AGENT_SOURCE, FenceServer, type PowerControl } from "../../lab/lib/fence-server.js";

const PORT = 40000 + (process.pid % 20000);

class RecordedPower implements PowerControl {
  readonly nodes = ["node1", "node2", "node3"];
  readonly on_ = new Set(["node1", "node2", "node3"]);
  readonly calls: string[] = [];
  isOn(node: string): boolean {
    return this.on_.has(node);
  }
  async off(node: string): Promise<void> {
    this.calls.push(`off ${node}`);
    this.on_.delete(node);
  }
  async on(node: string): Promise<void> {
    this.calls.push(`on ${node}`);
    this.on_.add(node);
  }
}

/** Run the agent asynchronously: the server answering it lives in this same process. */
function agent(args: string[], stdin = ""): Promise<{ rc: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("/bin/bash", [FENCE_AGENT_SOURCE, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("close", (rc) => {
      clearTimeout(timer);
      resolve({ rc, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

function rawRequest(payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(PORT, "127.0.0.1", () => s.write(payload));
    let out = "";
    s.setEncoding("utf8");
    s.on("data", (c: string) => (out += c));
    s.on("end", () => resolve(out));
    s.on("error", reject);
  });
}

describe("lab fence agent + fence server", () => {
  const power = new RecordedPower();
  let server: FenceServer;
  const common = `ipaddr=127.0.0.1\nipport=${PORT}\n`;

  beforeAll(async () => {
    server = await FenceServer.start(power, { address: "127.0.0.1", port: PORT });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("metadata is valid XML with the fence-agents actions and a plug parameter", async () => {
    const r = await agent([], "action=metadata\n");
    expect(r.rc).toBe(0);
    const lint = spawnSync("xmllint", ["--noout", "-"], { input: r.stdout, encoding: "utf8" });
    expect(lint.status, lint.stderr).toBe(0);
    for (const a of ["on", "off", "reboot", "status", "monitor", "list", "metadata"]) expect(r.stdout).toContain(`<action name="${a}"`);
    expect(r.stdout).toContain('<parameter name="plug"');
  });

  it("off from stdin options (as Pacemaker calls it) powers the named node off; status then says off (exit 2)", async () => {
    const r = await agent([], `action=off\nport=node2\nnodename=node2\n${common}`);
    expect(r.rc, r.stderr).toBe(0);
    expect(power.calls).toEqual(["off node2"]);
    expect((await agent([], `action=status\nplug=node2\n${common}`)).rc).toBe(2);
    expect((await agent(["-o", "status", "-n", "node1", "-a", "127.0.0.1", "-u", String(PORT)])).rc).toBe(0);
    expect(server.fencedSince("node2", 0).map((e) => e.action)).toEqual(["off"]);
  });

  it("command-line flags: on, reboot, list, monitor", async () => {
    expect((await agent([`--action=on`, "--plug=node2", "--ip=127.0.0.1", `--ipport=${PORT}`])).rc).toBe(0);
    expect((await agent(["-o", "reboot", "-n", "node3", "-a", "127.0.0.1", "-u", String(PORT)])).rc).toBe(0);
    expect(power.calls.slice(1)).toEqual(["on node2", "off node3", "on node3"]);
    const list = await agent(["-o", "list", "-a", "127.0.0.1", "-u", String(PORT)]);
    expect(list.rc, list.stderr).toBe(0);
    expect(list.stdout.trim().split("\n")).toEqual(["node1,", "node2,", "node3,"]);
    expect((await agent(["-o", "monitor", "-a", "127.0.0.1", "-u", String(PORT)])).rc).toBe(0);
  });

  it("refuses names that are not lab nodes, unknown actions and shell characters, touching nothing", async () => {
    const before = power.calls.length;
    const notNode = await agent([], `action=off\nport=node9\n${common}`);
    expect(notNode.rc).toBe(1);
    expect(notNode.stderr).toContain("not a node of this lab");
    const hostile = await agent([], `action=off\nport=node1;reboot\n${common}`);
    expect(hostile.rc).toBe(1);
    expect(hostile.stderr).toContain("plug is not a lab node name");
    const unknown = await agent([], `action=explode\nport=node1\n${common}`);
    expect(unknown.rc).toBe(1);
    expect(unknown.stderr).toContain("unknown action");
    expect((await agent([], `action=off\n${common}`)).stderr).toContain("needs plug");
    expect(power.calls.length).toBe(before);
  });

  it("the server bounds the request size and answers garbage with ERR", async () => {
    expect(await rawRequest("x".repeat(500))).toMatch(/^ERR request longer than 128 bytes/);
    expect(await rawRequest("off node1 now\n")).toMatch(/^ERR too many words/);
    expect(await rawRequest("list node1\n")).toMatch(/^ERR list takes no node name/);
    expect(await rawRequest("off ../node1\n")).toMatch(/^ERR not a node of this lab/);
  });

  it("an unreachable server is a failure with a message, not a success", async () => {
    const r = await agent([], `action=off\nport=node1\nipaddr=127.0.0.1\nipport=${PORT + 1}\n`);
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain("cannot reach the lab fence server");
  });
});
