/**
 * One qemu VM of the lab: TCG, no default devices, a qcow2 overlay on the shared base image as root,
 * optionally a raw data disk (virtio-blk, serial dataN -> /dev/vdb, /dev/disk/by-id/virtio-dataN), one
 * virtio-net per lab network on its tap, the guest agent on virtio-serial, a serial console logged to a
 * file, a QMP socket, and optionally the staged pmsapp tree as a read-only 9p share.
 * qemu runs daemonized inside the namespace; its pidfile is what teardown kills.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { must, run } from "./host.js";
import type { LabImage } from "./image.js";
import { killAndWait, qemuPidFrom } from "./lock.js";
import { address, createTap, type NetName } from "./network.js";
import { NETNS, RUN_DIR } from "./paths.js";
import { GuestAgent } from "./qga.js";

export type InitMode = "fast" | "systemd";
export type MdAuto = "stock" | "off";

export interface VmSpec {
  readonly name: string;
  /** Last octet on every network it is attached to (node1 = 11, client = 50). */
  readonly host: number;
  readonly nets: readonly NetName[];
  readonly memMb: number;
  /** Data disk serial (dataN), or none. */
  readonly dataSerial?: string;
  readonly dataMiB?: number;
  /** Index used in MAC addresses (unique per VM). */
  readonly macIndex: number;
}

export interface BootOptions {
  readonly init: InitMode;
  readonly mdAuto: MdAuto;
  /** Host directory shared read-only as 9p tag "stage" and copied onto / at boot. */
  readonly stageDir?: string;
}

export class Vm {
  agent: GuestAgent;
  bootOptions: BootOptions | undefined;
  /** Host wall-clock ms when the last start was issued and when the guest became ready. */
  startedAt = 0;
  readyAt = 0;

  constructor(readonly spec: VmSpec, private readonly image: LabImage) {
    this.agent = new GuestAgent(this.path("qga"), spec.name);
  }

  path(what: "qga" | "qmp" | "serial" | "pid" | "console.log" | "root.qcow2" | "data.img"): string {
    return join(RUN_DIR, `${this.spec.name}.${what}`);
  }

  get pid(): number | undefined {
    return qemuPidFrom(this.path("pid"));
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** Fresh root overlay and a blank sparse data disk. */
  async createDisks(): Promise<void> {
    rmSync(this.path("root.qcow2"), { force: true });
    await must(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", this.image.rootImage, this.path("root.qcow2")]);
    if (this.spec.dataSerial !== undefined) {
      rmSync(this.path("data.img"), { force: true });
      await must(["truncate", "-s", `${this.spec.dataMiB ?? 256}M`, this.path("data.img")]);
    }
  }

  private kernelArgs(options: BootOptions): string {
    const ips = this.spec.nets.map((n) => `${address(this.spec.host, n)}/24`).join(",");
    return [
      "console=ttyS0",
      "root=/dev/vda",
      "rw",
      "net.ifnames=0",
      "mitigations=off",
      "panic=-1",
      `lab.name=${this.spec.name}`,
      `lab.ips=${ips}`,
      `lab.mdauto=${options.mdAuto}`,
      `lab.stage=${options.stageDir !== undefined ? 1 : 0}`,
      `lab.init=${options.init === "fast" ? "/sbin/lab-init" : "/lib/systemd/systemd"}`,
    ].join(" ");
  }

  qemuArgv(options: BootOptions): string[] {
    const s = this.spec;
    const argv = [
      "ip", "netns", "exec", NETNS,
      "qemu-system-x86_64",
      "-name", s.name,
      "-accel", "tcg",
      "-cpu", "max",
      "-smp", "1",
      "-m", String(s.memMb),
      "-nodefaults", "-no-user-config", "-display", "none",
      "-kernel", this.image.kernel,
      "-initrd", this.image.initrd,
      "-append", this.kernelArgs(options),
      "-drive", `file=${this.path("root.qcow2")},if=none,id=root,format=qcow2,cache=unsafe`,
      "-device", "virtio-blk-pci,drive=root,serial=root",
    ];
    if (s.dataSerial !== undefined) {
      argv.push("-drive", `file=${this.path("data.img")},if=none,id=data,format=raw,cache=writeback`);
      argv.push("-device", `virtio-blk-pci,drive=data,serial=${s.dataSerial}`);
    }
    s.nets.forEach((n, i) => {
      const mac = `52:54:00:99:${String(i).padStart(2, "0")}:${s.macIndex.toString(16).padStart(2, "0")}`;
      argv.push("-netdev", `tap,id=${n},ifname=${s.name}-${n},script=no,downscript=no`);
      argv.push("-device", `virtio-net-pci,netdev=${n},mac=${mac}`);
    });
    if (options.stageDir !== undefined) {
      argv.push("-virtfs", `local,path=${options.stageDir},mount_tag=stage,security_model=none,readonly=on`);
    }
    argv.push(
      "-device", "virtio-rng-pci",
      "-device", "virtio-serial-pci",
      "-chardev", `socket,id=qga,path=${this.path("qga")},server=on,wait=off`,
      "-device", "virtserialport,chardev=qga,name=org.qemu.guest_agent.0",
      "-chardev", `socket,id=ser,path=${this.path("serial")},server=on,wait=off,logfile=${this.path("console.log")},logappend=on`,
      "-serial", "chardev:ser",
      "-qmp", `unix:${this.path("qmp")},server=on,wait=off`,
      "-daemonize",
      "-pidfile", this.path("pid"),
    );
    return argv;
  }

  async start(options: BootOptions): Promise<void> {
    if (this.running) throw new Error(`${this.spec.name} is already running (pid ${this.pid})`);
    for (const n of this.spec.nets) await createTap(this.spec.name, n);
    for (const f of ["qga", "qmp", "serial", "pid"] as const) rmSync(this.path(f), { force: true });
    this.bootOptions = options;
    this.agent.close();
    this.agent = new GuestAgent(this.path("qga"), this.spec.name);
    this.startedAt = Date.now();
    this.readyAt = 0;
    const r = await run(this.qemuArgv(options), { timeoutMs: 30_000 });
    if (r.rc !== 0) throw new Error(`qemu for ${this.spec.name} did not start: ${r.stderr.trim() || `exit ${r.rc}`}`);
  }

  /** Wait until the guest agent answers and the guest's setup has finished (/run/lab-ready). */
  async waitReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < until) {
      if (!this.running) throw new Error(`${this.spec.name}: qemu exited during boot; see ${this.path("console.log")}`);
      try {
        await this.agent.ping(2000);
        const r = await this.agent.exec(["test", "-e", "/run/lab-ready"], { timeoutMs: 5000 });
        if (r.rc === 0) {
          this.readyAt = Date.now();
          return;
        }
        last = "setup not finished";
      } catch (e) {
        last = (e as Error).message;
        // A half-open connection to a booting guest: start over with a fresh one.
        this.agent.close();
        this.agent = new GuestAgent(this.path("qga"), this.spec.name);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    throw new Error(`${this.spec.name} not ready after ${timeoutMs} ms (${last}); see ${this.path("console.log")}`);
  }

  /** Power cut: SIGKILL qemu. Whatever the guest had not written to its disks is lost. */
  kill(): void {
    const pid = this.pid;
    this.agent.close();
    if (pid !== undefined) killAndWait(pid);
    rmSync(this.path("pid"), { force: true });
  }

  /** Network name -> guest interface name, for in-guest commands. */
  eth(net: NetName): string {
    const i = this.spec.nets.indexOf(net);
    if (i < 0) throw new Error(`${this.spec.name} is not on network ${net}`);
    return `eth${i}`;
  }

  hasNet(net: NetName): boolean {
    return this.spec.nets.includes(net);
  }

  consoleLogExists(): boolean {
    return existsSync(this.path("console.log"));
  }
}
