/**
 * A client for qemu-guest-agent over the VM's virtio-serial unix socket: one persistent connection per
 * VM, one command in flight at a time, every command under a deadline.
 * Protocol notes (lab-facts §6): the agent answers the 0xFF resync byte with a JSON error, so replies
 * are realigned with guest-sync-delimited (its reply is preceded by 0xFF) and anything before it is
 * dropped; only one client can use a chardev socket at a time; guest-exec runs with a minimal
 * environment, so PATH is passed; a background child that keeps stdout open makes guest-exec wait.
 */
import { connect, type Socket } from "node:net";

export const GUEST_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface GuestExecResult {
  readonly argv: readonly string[];
  /** null when killed by a signal (see signal) or when the deadline expired. */
  readonly rc: number | null;
  readonly signal: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export class GuestAgentError extends Error {}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class GuestAgent {
  private socket: Socket | undefined;
  private buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  /** While resyncing: the id whose reply (after a 0xFF byte) ends the resync. */
  private syncId: number | undefined;
  private sawSyncByte = false;
  private synced = false;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(readonly socketPath: string, readonly vmName: string) {}

  /** Serialize: one command at a time on this socket. */
  private serial<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async open(timeoutMs: number): Promise<void> {
    if (this.socket !== undefined && !this.socket.destroyed) return;
    if (this.closed) throw new GuestAgentError(`${this.vmName}: agent connection closed`);
    this.synced = false;
    this.buffer = Buffer.alloc(0);
    await new Promise<void>((resolve, reject) => {
      const s = connect(this.socketPath);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new GuestAgentError(`${this.vmName}: cannot connect to ${this.socketPath} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        this.socket = s;
        resolve();
      });
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(new GuestAgentError(`${this.vmName}: ${this.socketPath}: ${e.message}`));
      });
      s.on("data", (d: Buffer) => this.onData(d));
      s.on("close", () => {
        if (this.socket === s) this.socket = undefined;
        this.synced = false;
        this.fail(new GuestAgentError(`${this.vmName}: agent socket closed (VM gone?)`));
      });
    });
  }

  private fail(e: Error): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.reject(e);
  }

  private onData(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    for (;;) {
      if (this.syncId !== undefined && !this.sawSyncByte) {
        const ff = this.buffer.indexOf(0xff);
        if (ff < 0) {
          this.buffer = Buffer.alloc(0);
          return;
        }
        this.buffer = this.buffer.subarray(ff + 1);
        this.sawSyncByte = true;
      }
      const nl = this.buffer.indexOf(0x0a);
      if (nl < 0) return;
      const line = this.buffer.subarray(0, nl).toString("utf8").replace(/^[\xff\s]+/, "");
      this.buffer = this.buffer.subarray(nl + 1);
      if (line.trim() === "") continue;
      let msg: { return?: unknown; error?: { class?: string; desc?: string } };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        continue;
      }
      if (this.syncId !== undefined) {
        if (msg.return === this.syncId) {
          this.syncId = undefined;
          this.deliver(msg.return);
        } else {
          this.sawSyncByte = false; // a stale reply: keep looking for the sync marker
        }
        continue;
      }
      if (msg.error !== undefined) {
        const p = this.pending;
        if (p === undefined) continue;
        this.pending = undefined;
        clearTimeout(p.timer);
        p.reject(new GuestAgentError(`${this.vmName}: agent error ${msg.error.class ?? ""}: ${msg.error.desc ?? ""}`));
        continue;
      }
      this.deliver(msg.return);
    }
  }

  private deliver(value: unknown): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(value);
  }

  private send(payload: Buffer | string, timeoutMs: number, what: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const s = this.socket;
      if (s === undefined || s.destroyed) {
        reject(new GuestAgentError(`${this.vmName}: not connected`));
        return;
      }
      const timer = setTimeout(() => {
        this.pending = undefined;
        this.synced = false; // a late reply would shift every later one: resync next time
        reject(new GuestAgentError(`${this.vmName}: no reply to ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      s.write(payload);
    });
  }

  private async sync(timeoutMs: number): Promise<void> {
    const id = Math.floor(Math.random() * 2 ** 31);
    this.syncId = id;
    this.sawSyncByte = false;
    this.buffer = Buffer.alloc(0);
    const req = Buffer.concat([Buffer.from([0xff]), Buffer.from(JSON.stringify({ execute: "guest-sync-delimited", arguments: { id } }) + "\n")]);
    try {
      await this.send(req, timeoutMs, "guest-sync-delimited");
      this.synced = true;
    } finally {
      this.syncId = undefined;
    }
  }

  private async command(execute: string, args: Record<string, unknown> | undefined, timeoutMs: number): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    await this.open(Math.max(1, deadline - Date.now()));
    if (!this.synced) await this.sync(Math.max(1, Math.min(5000, deadline - Date.now())));
    const req = JSON.stringify(args === undefined ? { execute } : { execute, arguments: args }) + "\n";
    return this.send(req, Math.max(1, deadline - Date.now()), execute);
  }

  /** One round trip; resolves when the agent in the guest answers. */
  ping(timeoutMs = 3000): Promise<void> {
    return this.serial(async () => {
      await this.command("guest-ping", undefined, timeoutMs);
    });
  }

  /** Guest wall clock in milliseconds since the epoch (guest-get-time, ~1 ms round trip). */
  timeMs(timeoutMs = 3000): Promise<number> {
    return this.serial(async () => {
      const ns = (await this.command("guest-get-time", undefined, timeoutMs)) as number;
      return ns / 1e6;
    });
  }

  /**
   * Run argv in the guest. The guest's `timeout -s KILL` enforces the deadline inside the VM, and the
   * host gives up 5 s later if the guest does not answer at all.
   */
  async exec(argv: readonly string[], options: { timeoutMs: number; input?: string }): Promise<GuestExecResult> {
    const started = Date.now();
    const secs = Math.max(1, Math.ceil(options.timeoutMs / 1000));
    const wrapped = ["/usr/bin/timeout", "-s", "KILL", `${secs}s`, ...argv];
    const hostDeadline = started + secs * 1000 + 5000;
    const args: Record<string, unknown> = {
      path: wrapped[0],
      arg: wrapped.slice(1),
      env: [GUEST_PATH, "LC_ALL=C", "HOME=/root"],
      "capture-output": true,
    };
    if (options.input !== undefined) args["input-data"] = Buffer.from(options.input).toString("base64");
    const left = () => Math.max(1, hostDeadline - Date.now());
    const { pid } = (await this.serial(() => this.command("guest-exec", args, Math.min(10_000, left())))) as { pid: number };
    let delay = 20;
    for (;;) {
      if (Date.now() >= hostDeadline) {
        throw new GuestAgentError(`${this.vmName}: ${argv.join(" ").slice(0, 200)} still running ${secs + 5} s after start: a background child still holds its output (detach daemons with \`setsid cmd >/dev/null 2>&1 </dev/null &\`) or a process is stuck in the kernel`);
      }
      const st = (await this.serial(() => this.command("guest-exec-status", { pid }, Math.min(10_000, Math.max(2000, left()))))) as {
        exited: boolean;
        exitcode?: number;
        signal?: number;
        "out-data"?: string;
        "err-data"?: string;
      };
      if (st.exited) {
        const durationMs = Date.now() - started;
        const rc = st.exitcode ?? null;
        // At the deadline timeout(1) KILLs its process group, itself included: signal 9 (or rc 137).
        const timedOut = (rc === 137 || st.signal === 9) && durationMs >= secs * 1000 - 50;
        return {
          argv,
          rc: timedOut ? null : rc,
          signal: st.signal ?? null,
          stdout: Buffer.from(st["out-data"] ?? "", "base64").toString("utf8"),
          stderr: Buffer.from(st["err-data"] ?? "", "base64").toString("utf8"),
          timedOut,
          durationMs,
        };
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(200, delay * 2);
    }
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
    this.fail(new GuestAgentError(`${this.vmName}: agent connection closed`));
  }
}
