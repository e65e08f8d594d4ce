/**
 * The lab as one object: bring up 3 nodes (+ an NFS client VM), run commands in them, inject faults,
 * wait for conditions, collect logs, tear everything down. Used by the scenario tests, the fixture
 * capture and the demo.
 *
 *   const lab = await Lab.up({ client: true, mdAuto: "off" });
 *   await lab.node("node1").must("cat /proc/mdstat");
 *   await lab.kill("node2"); await lab.restart("node2");
 *   await lab.down();
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureImage, type LabImage } from "./image.js";
import { acquireLockWaiting, cleanupStale, releaseLock } from "./lock.js";
import { say, secs } from "./log.js";
import { createNetwork, limitTapRate, setTapUp, type NetName } from "./network.js";
import { ARTIFACTS_DIR, RUN_DIR } from "./paths.js";
import type { GuestExecResult } from "./qga.js";
import { prepareStage, type Stage } from "./stage.js";
import { Vm, type InitMode, type MdAuto, type VmSpec } from "./vm.js";

export interface LabOptions {
  /** Number of storage nodes (node1..nodeN), 1-3. Default 3. */
  readonly nodes?: number;
  /** Also boot the NFS client VM ("client", 10.99.0.50 on br-nfs only). Default false. */
  readonly client?: boolean;
  readonly init?: InitMode;
  /** "off" appends `AUTO -all` to mdadm.conf at every boot (no md auto-assembly); "stock" leaves Debian's. */
  readonly mdAuto?: MdAuto;
  readonly dataDiskMiB?: number;
  readonly nodeMemMb?: number;
  /** Share the staged pmsapp tree into the guests and install it at boot. Default true. */
  readonly stage?: boolean;
  readonly bootTimeoutMs?: number;
}

export interface ExecOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
}

export class LabCommandError extends Error {
  constructor(readonly result: GuestExecResult, readonly node: string) {
    super(
      `${node}: ${result.argv.join(" ").slice(0, 300)}: ${result.timedOut ? "killed at deadline" : `exit ${result.rc}`}` +
        `\n--- stderr ---\n${result.stderr.trim().slice(-2000)}\n--- stdout ---\n${result.stdout.trim().slice(-1000)}`,
    );
  }
}

/** One VM as a scenario sees it. */
export class GuestNode {
  constructor(readonly vm: Vm) {}

  get name(): string {
    return this.vm.spec.name;
  }

  /** Its address on one of the lab networks. */
  ip(net: NetName = "nfs"): string {
    return `10.99.${["nfs", "iscsi", "hb"].indexOf(net)}.${this.vm.spec.host}`;
  }

  /** Run argv (no shell) with a deadline (default 60 s). */
  exec(argv: readonly string[], options: ExecOptions = {}): Promise<GuestExecResult> {
    return this.vm.agent.exec(argv, { timeoutMs: options.timeoutMs ?? 60_000, ...(options.input !== undefined ? { input: options.input } : {}) });
  }

  /** Run a bash script inside the guest (test tooling only; product code never uses a shell). */
  sh(script: string, options: ExecOptions = {}): Promise<GuestExecResult> {
    return this.exec(["/bin/bash", "-c", `set -o pipefail\n${script}`], options);
  }

  /** Like sh(), but a non-zero exit throws with the script's stderr; returns stdout. */
  async must(script: string, options: ExecOptions = {}): Promise<string> {
    const r = await this.sh(script, options);
    if (r.rc !== 0) throw new LabCommandError(r, this.name);
    return r.stdout;
  }

  /** Guest wall clock (ms since epoch) via guest-get-time. */
  time(): Promise<number> {
    return this.vm.agent.timeMs();
  }

  /** Write a file in the guest (through stdin of cat; content may be anything). */
  async writeFile(path: string, content: string, mode = "0644"): Promise<void> {
    const r = await this.exec(["/bin/sh", "-c", 'cat > "$1" && chmod "$2" "$1"', "sh", path, mode], { input: content });
    if (r.rc !== 0) throw new LabCommandError(r, this.name);
  }

  get running(): boolean {
    return this.vm.running;
  }

  consoleLog(): string {
    return this.vm.path("console.log");
  }

  toString(): string {
    return this.name;
  }
}

const NODE_SPEC = (n: number, memMb: number, dataMiB: number): VmSpec => ({
  name: `node${n}`,
  host: 10 + n,
  nets: ["nfs", "iscsi", "hb"],
  memMb,
  dataSerial: `data${n}`,
  dataMiB,
  macIndex: 0x10 + n,
});

const CLIENT_SPEC: VmSpec = { name: "client", host: 50, nets: ["nfs"], memMb: 384, macIndex: 0x50 };

let activeLab: Lab | undefined;
let handlersInstalled = false;

/** Ctrl-C, SIGTERM, SIGHUP or a plain exit: tear the lab down before the process goes. */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", () => activeLab?.downSync());
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (activeLab !== undefined) {
        say(`${sig}: tearing the lab down`);
        activeLab.downSync();
      }
      process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1));
    });
  }
}

export class Lab {
  readonly vms: Vm[];
  readonly timings: Record<string, number> = {};
  private torndown = false;
  private readonly slowed = new Set<string>();

  private constructor(readonly image: LabImage, readonly options: Required<Omit<LabOptions, "bootTimeoutMs">> & { bootTimeoutMs: number }, readonly stage: Stage | undefined) {
    const specs = Array.from({ length: options.nodes }, (_, i) => NODE_SPEC(i + 1, options.nodeMemMb, options.dataDiskMiB));
    if (options.client) specs.push(CLIENT_SPEC);
    this.vms = specs.map((s) => new Vm(s, image));
  }

  static async up(options: LabOptions = {}): Promise<Lab> {
    const opts = {
      nodes: options.nodes ?? 3,
      client: options.client ?? false,
      init: options.init ?? "fast",
      mdAuto: options.mdAuto ?? "stock",
      dataDiskMiB: options.dataDiskMiB ?? 256,
      nodeMemMb: options.nodeMemMb ?? 768,
      stage: options.stage ?? true,
      bootTimeoutMs: options.bootTimeoutMs ?? 180_000,
    };
    if (opts.nodes < 1 || opts.nodes > 3) throw new Error(`the lab has 1 to 3 nodes, not ${opts.nodes}`);
    installExitHandlers();
    const removed = await acquireLockWaiting();
    if (removed.length > 0) say(`cleaned up after an interrupted lab: ${removed.join(", ")}`);
    let lab: Lab | undefined;
    try {
      const t0 = Date.now();
      const image = await ensureImage();
      const tImage = Date.now() - t0;
      const stage = opts.stage ? await prepareStage(opts.init) : undefined;
      lab = new Lab(image, opts, stage);
      activeLab = lab;
      lab.timings["image"] = tImage;
      rmSync(RUN_DIR, { recursive: true, force: true });
      mkdirSync(RUN_DIR, { recursive: true });
      await createNetwork();
      for (const vm of lab.vms) await vm.createDisks();
      const t1 = Date.now();
      say(`booting ${lab.vms.map((v) => v.spec.name).join(", ")} (${opts.init} init, TCG)`);
      for (const vm of lab.vms) await vm.start(lab.bootOptions());
      await Promise.all(lab.vms.map((vm) => vm.waitReady(opts.bootTimeoutMs)));
      lab.timings["boot"] = Date.now() - t1;
      say(`all VMs ready in ${secs(lab.timings["boot"])} s`);
      return lab;
    } catch (e) {
      if (lab !== undefined) await lab.collectLogs("bring-up-failed").catch(() => undefined);
      lab?.downSync();
      if (lab === undefined) {
        cleanupStale({ force: true });
        releaseLock();
      }
      throw e;
    }
  }

  private bootOptions(init: InitMode = this.options.init) {
    return { init, mdAuto: this.options.mdAuto, ...(this.stage !== undefined ? { stageDir: this.stage.dir } : {}) };
  }

  private vm(name: string): Vm {
    const vm = this.vms.find((v) => v.spec.name === name);
    if (vm === undefined) throw new Error(`no VM ${name} in this lab (${this.vms.map((v) => v.spec.name).join(", ")})`);
    return vm;
  }

  node(name: string): GuestNode {
    return new GuestNode(this.vm(name));
  }

  get nodes(): GuestNode[] {
    return this.vms.filter((v) => v.spec.dataSerial !== undefined).map((v) => new GuestNode(v));
  }

  get client(): GuestNode {
    return this.node("client");
  }

  /** Power cut (SIGKILL of its qemu). Returns the host time of the kill. */
  async kill(name: string): Promise<number> {
    const vm = this.vm(name);
    if (!vm.running) throw new Error(`${name} is not running`);
    vm.kill();
    const at = Date.now();
    say(`${name} power-killed`);
    return at;
  }

  /** Start a stopped VM again (same root overlay and data disk) and wait until it is ready. */
  async restart(name: string, options: { init?: InitMode } = {}): Promise<number> {
    const vm = this.vm(name);
    if (vm.running) vm.kill();
    const t0 = Date.now();
    await vm.start(this.bootOptions(options.init));
    await vm.waitReady(this.options.bootTimeoutMs);
    const took = Date.now() - t0;
    say(`${name} restarted, ready in ${secs(took)} s`);
    return took;
  }

  /** Cut one network (or all of them) of one VM: link down on its taps. */
  async cutLink(name: string, net?: NetName): Promise<void> {
    const vm = this.vm(name);
    for (const n of net === undefined ? vm.spec.nets : [net]) await setTapUp(name, n, false);
    say(`${name}: ${net ?? "all networks"} cut`);
  }

  async healLink(name: string, net?: NetName): Promise<void> {
    const vm = this.vm(name);
    for (const n of net === undefined ? vm.spec.nets : [net]) await setTapUp(name, n, true);
    say(`${name}: ${net ?? "all networks"} healed`);
  }

  /** Isolate nodes from the rest on every network (e.g. partition(["node3"])). */
  async partition(names: readonly string[]): Promise<void> {
    for (const n of names) await this.cutLink(n);
  }

  async heal(): Promise<void> {
    for (const vm of this.vms) for (const n of vm.spec.nets) await setTapUp(vm.spec.name, n, true);
    for (const key of [...this.slowed]) {
      const [name, net] = key.split("/") as [string, NetName];
      await this.unslowLink(name, net);
    }
    say("all links healed");
  }

  /**
   * Slow one network of one VM: `rateKbit` limits what it receives (tbf on its tap in the namespace);
   * `delayMs` delays what it sends (netem on the guest's interface, because this host's kernel has no
   * sch_netem).
   */
  async slowLink(name: string, net: NetName, slow: { delayMs?: number; rateKbit?: number }): Promise<void> {
    const vm = this.vm(name);
    if (slow.rateKbit !== undefined) await limitTapRate(name, net, slow.rateKbit);
    if (slow.delayMs !== undefined) {
      await this.node(name).must(`modprobe sch_netem && tc qdisc replace dev ${vm.eth(net)} root netem delay ${Math.round(slow.delayMs)}ms`);
    }
    this.slowed.add(`${name}/${net}`);
    say(`${name}: ${net} slowed (${slow.delayMs ?? 0} ms delay, ${slow.rateKbit ?? "unlimited"} kbit/s)`);
  }

  async unslowLink(name: string, net: NetName): Promise<void> {
    const vm = this.vm(name);
    await limitTapRate(name, net, undefined);
    if (vm.running) await this.node(name).sh(`tc qdisc del dev ${vm.eth(net)} root 2>/dev/null; true`);
    this.slowed.delete(`${name}/${net}`);
  }

  /**
   * Poll `probe` until it returns a value other than undefined/false, or fail after timeoutMs with the
   * last thing seen. Returns the value and how long it took.
   */
  async waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, options: { timeoutMs: number; intervalMs?: number }): Promise<{ value: T; ms: number }> {
    const t0 = Date.now();
    let last: unknown;
    while (Date.now() - t0 < options.timeoutMs) {
      try {
        const v = await probe();
        if (v !== undefined && v !== false) return { value: v, ms: Date.now() - t0 };
        last = v;
      } catch (e) {
        last = (e as Error).message;
      }
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
    }
    throw new Error(`timed out after ${secs(options.timeoutMs)} s waiting for ${what} (last: ${String(last).slice(0, 500)})`);
  }

  /**
   * Copy console logs and, from every running VM, dmesg, /proc/mdstat, iSCSI sessions and tgt targets
   * into ARTIFACTS_DIR/<timestamp>-<label>/. Returns the folder.
   */
  async collectLogs(label: string): Promise<string> {
    const dir = join(ARTIFACTS_DIR, `${new Date().toISOString().replace(/[:.]/g, "-")}-${label.replace(/[^A-Za-z0-9_.-]+/g, "_").slice(0, 80)}`);
    mkdirSync(dir, { recursive: true });
    for (const vm of this.vms) {
      if (vm.consoleLogExists()) copyFileSync(vm.path("console.log"), join(dir, `${vm.spec.name}.console.log`));
      if (!vm.running) continue;
      const r = await vm.agent
        .exec(
          [
            "/bin/bash",
            "-c",
            "for c in 'dmesg' 'cat /proc/mdstat' 'iscsiadm -m session -P 1' 'tgtadm --lld iscsi --op show --mode target' 'ip -br addr' 'mount' 'ps axf' 'crm_mon -1 2>/dev/null'; do echo \"### $c\"; timeout 10 $c 2>&1; done; for f in /var/log/pmsapp/* /var/lib/pmsapp/journal/*; do [ -f \"$f\" ] && { echo \"### $f\"; tail -n 200 \"$f\"; }; done",
          ],
          { timeoutMs: 60_000 },
        )
        .catch((e: Error) => ({ stdout: `could not collect: ${e.message}\n`, stderr: "" }));
      writeFileSync(join(dir, `${vm.spec.name}.state.txt`), r.stdout + r.stderr);
    }
    say(`logs collected in ${dir}`);
    return dir;
  }

  /** Stop every VM, remove taps, bridges and the namespace, release the lock. */
  async down(): Promise<void> {
    this.downSync();
  }

  downSync(): void {
    if (this.torndown) return;
    this.torndown = true;
    for (const vm of this.vms) vm.agent.close();
    cleanupStale({ force: true });
    releaseLock();
    if (activeLab === this) activeLab = undefined;
    say("lab down: no qemu, tap, bridge or namespace left");
  }
}

/** Whether this machine can run the lab at all, and if not, exactly why. */
export function labPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("not root (the lab needs ip netns, taps and mmdebstrap in root mode)");
  if (!existsSync("/dev/net/tun")) missing.push("no /dev/net/tun (taps for the VM networks)");
  for (const [cmd, pkg] of [
    ["/usr/bin/qemu-system-x86_64", "qemu-system-x86"],
    ["/usr/bin/qemu-img", "qemu-utils"],
    ["/usr/bin/mmdebstrap", "mmdebstrap"],
    ["/usr/bin/busybox", "busybox-static"],
  ] as const) {
    if (!existsSync(cmd)) missing.push(`no ${cmd} (apt-get install ${pkg})`);
  }
  return missing;
}

export function listArtifacts(): string[] {
  return existsSync(ARTIFACTS_DIR) ? readdirSync(ARTIFACTS_DIR).sort() : [];
}
