/**
 * The lab's fence server: Pacemaker's fencer in a guest runs /usr/sbin/fence_pmsapp_lab
 * (test/lab/guest/fence_pmsapp_lab), which sends one line to 10.99.0.1:7410 on the NFS/management
 * network; fence-relay.mjs (started inside the lab's namespace, the only place that address exists)
 * passes the validated request here, and this side powers the VM off or on with the Lab's own methods.
 * It lives as long as the Lab that started it: stop() (called before the lab goes down) ends the relay;
 * the relay also exits by itself when this process goes away (its stdin closes).
 *
 *   const fence = await FenceServer.start(labPower(lab), { netns: NETNS });
 *   ... fence.events (every request, with what was done)
 *   await fence.stop();
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { Lab } from "./lab.js";
import { say } from "./log.js";

export const FENCE_ADDRESS = "10.99.0.1";
export const FENCE_PORT = 7410;
/** Installed in every node by installFenceAgent (pacemaker.ts); Pacemaker finds fence_* in /usr/sbin. */
export const FENCE_AGENT = "fence_pmsapp_lab";
export const FENCE_AGENT_SOURCE = join(dirname(fileURLToPath(import.meta.url)), "..", "guest", FENCE_AGENT);
const RELAY = join(dirname(fileURLToPath(import.meta.url)), "fence-relay.mjs");

/** What the fence server may do to the lab's VMs. */
export interface PowerControl {
  readonly nodes: readonly string[];
  isOn(node: string): boolean;
  off(node: string): Promise<void>;
  on(node: string): Promise<void>;
}

/** The Lab's VMs as a PowerControl: off = power cut (SIGKILL of qemu), on = boot and wait until ready. */
export function labPower(lab: Lab): PowerControl {
  return {
    nodes: lab.nodes.map((n) => n.name),
    isOn: (node) => lab.node(node).running,
    off: async (node) => {
      if (lab.node(node).running) await lab.kill(node);
    },
    on: async (node) => {
      if (!lab.node(node).running) await lab.restart(node);
    },
  };
}

export interface FenceEvent {
  /** Host time the request arrived (ms). */
  readonly at: number;
  readonly action: string;
  readonly node: string | null;
  /** The guest address that asked. */
  readonly peer: string;
  readonly reply: string;
  readonly ms: number;
}

interface RelayRequest {
  readonly id: number;
  readonly action: string;
  readonly node: string | null;
  readonly peer: string;
}

export interface FenceServerOptions {
  /** Run the relay inside this network namespace (the lab's); without it, in the host's (unit tests). */
  readonly netns?: string;
  readonly address?: string;
  readonly port?: number;
}

export class FenceServer {
  readonly events: FenceEvent[] = [];
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly onExit = () => this.child.kill("SIGKILL");

  private constructor(
    private readonly power: PowerControl,
    private readonly child: ChildProcessByStdio<Writable, Readable, Readable>,
    readonly listening: string,
  ) {
    process.on("exit", this.onExit);
  }

  static async start(power: PowerControl, options: FenceServerOptions = {}): Promise<FenceServer> {
    const address = options.address ?? FENCE_ADDRESS;
    const port = options.port ?? FENCE_PORT;
    const relayArgv = [process.execPath, RELAY, address, String(port), power.nodes.join(",")];
    const argv = options.netns !== undefined ? ["ip", "netns", "exec", options.netns, ...relayArgv] : relayArgv;
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"], env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => (stderr = (stderr + c).slice(-2000)));
    const lines = createInterface({ input: child.stdout });
    const listening = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fence relay did not start within 15 s: ${stderr.trim()}`)), 15_000);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`fence relay exited (${code}) before listening: ${stderr.trim()}`));
      });
      lines.once("line", (line) => {
        clearTimeout(timer);
        const msg = JSON.parse(line) as { listening?: string };
        if (msg.listening === undefined) reject(new Error(`fence relay said ${line}`));
        else resolve(msg.listening);
      });
    }).catch((e: Error) => {
      child.kill("SIGKILL");
      throw e;
    });
    child.removeAllListeners("exit");
    const server = new FenceServer(power, child, listening);
    lines.on("line", (line) => server.handle(line));
    child.on("exit", (code) => {
      if (!server.stopped) say(`fence relay exited unexpectedly (${code}): ${stderr.trim()}`);
    });
    say(`fence server listening on ${listening}${options.netns !== undefined ? ` in namespace ${options.netns}` : ""}`);
    return server;
  }

  private handle(line: string): void {
    let req: RelayRequest;
    try {
      req = JSON.parse(line) as RelayRequest;
    } catch {
      return;
    }
    const at = Date.now();
    // One power action at a time: two fencers racing for the same VM see a consistent state.
    this.queue = this.queue.then(async () => {
      const reply = await this.perform(req.action, req.node).catch((e: Error) => `ERR ${e.message.split("\n")[0] ?? "failed"}`);
      this.events.push({ at, action: req.action, node: req.node, peer: req.peer, reply, ms: Date.now() - at });
      say(`fence: ${req.action}${req.node !== null ? ` ${req.node}` : ""} asked by ${req.peer}: ${reply.split("\n")[0]} (${Date.now() - at} ms)`);
      if (!this.stopped) this.child.stdin.write(JSON.stringify({ id: req.id, reply }) + "\n");
    });
  }

  private async perform(action: string, node: string | null): Promise<string> {
    if (node !== null && !this.power.nodes.includes(node)) return `ERR not a node of this lab: ${node}`;
    switch (action) {
      case "monitor":
        return "OK";
      case "list":
        return ["OK", ...this.power.nodes].join("\n");
      case "status":
        return this.power.isOn(node as string) ? "OK on" : "OK off";
      case "off":
        await this.power.off(node as string);
        return "OK off";
      case "on":
        await this.power.on(node as string);
        return "OK on";
      case "reboot":
        await this.power.off(node as string);
        await this.power.on(node as string);
        return "OK on";
      default:
        return `ERR unknown action ${action}`;
    }
  }

  /** Power actions (off/on/reboot) done for a node since a host time. */
  fencedSince(node: string, since: number): FenceEvent[] {
    return this.events.filter((e) => e.node === node && e.at >= since && ["off", "reboot", "on"].includes(e.action) && e.reply.startsWith("OK"));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    process.off("exit", this.onExit);
    await this.queue.catch(() => undefined);
    const exited = new Promise<void>((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once("exit", () => resolve())));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }
}
