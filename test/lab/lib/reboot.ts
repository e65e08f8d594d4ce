/**
 * A clean reboot of a lab guest from the inside (`systemctl reboot`: units are stopped, file systems
 * unmounted, then the kernel resets the machine; qemu keeps running, same disks), as opposed to
 * `lab.restart()`, which is a power cut (SIGKILL of qemu) followed by a cold start.
 * Used by the target-keeper scenario, which mixes both kinds of reboot.
 */
import type { GuestNode, Lab } from "./lab.js";
import { GuestAgent } from "./qga.js";
import { say, secs } from "./log.js";

/** The kernel's boot id: changes at every boot, so it tells "the same boot" from "back after a reboot". */
export async function bootId(node: GuestNode): Promise<string> {
  return (await node.must("cat /proc/sys/kernel/random/boot_id", { timeoutMs: 15_000 })).trim();
}

/**
 * `systemctl reboot` inside the guest, then wait until it runs a new boot and the lab's per-boot setup is
 * done (/run/lab-ready). Returns the host milliseconds from the reboot request to ready.
 */
export async function cleanReboot(node: GuestNode, timeoutMs: number): Promise<number> {
  const before = await bootId(node);
  const t0 = Date.now();
  // Detached and delayed by a second, so this command returns before the agent goes down with the guest.
  await node.must("systemd-run --no-block --on-active=1 --unit=lab-clean-reboot /bin/systemctl reboot >/dev/null", { timeoutMs: 20_000 });
  const vm = node.vm;
  let last = "";
  while (Date.now() - t0 < timeoutMs) {
    await new Promise((r) => setTimeout(r, 1000));
    if (!vm.running) throw new Error(`${node.name}: qemu exited during the clean reboot; see ${vm.path("console.log")}`);
    try {
      await vm.agent.ping(2000);
      const r = await vm.agent.exec(["/bin/sh", "-c", "cat /proc/sys/kernel/random/boot_id; test -e /run/lab-ready && echo ready"], { timeoutMs: 5000 });
      const [id = "", ready = ""] = r.stdout.trim().split("\n");
      if (id !== "" && id !== before && ready === "ready") {
        vm.readyAt = Date.now();
        const took = Date.now() - t0;
        say(`${node.name} rebooted cleanly, ready in ${secs(took)} s`);
        return took;
      }
      last = id === before ? "still the old boot" : "new boot, setup not finished";
    } catch (e) {
      // The guest went down under an open connection: start over with a fresh one.
      last = (e as Error).message;
      vm.agent.close();
      vm.agent = new GuestAgent(vm.path("qga"), vm.spec.name);
    }
  }
  throw new Error(`${node.name}: not back from a clean reboot after ${secs(timeoutMs)} s (${last}); see ${vm.path("console.log")}`);
}

export type RebootKind = "power-cycle" | "clean";

/** One reboot of the given kind; returns host ms until the guest is ready again. */
export async function reboot(lab: Lab, node: GuestNode, kind: RebootKind, timeoutMs: number): Promise<number> {
  if (kind === "clean") return cleanReboot(node, timeoutMs);
  await lab.kill(node.name);
  return lab.restart(node.name);
}

/**
 * Wait until systemd has finished booting (`is-system-running --wait`: running or degraded), bounded.
 * Returns the state systemd reports.
 */
export async function bootFinished(node: GuestNode, timeoutMs: number): Promise<string> {
  const s = Math.max(5, Math.round(timeoutMs / 1000) - 5);
  const r = await node.sh(`timeout ${s} systemctl is-system-running --wait`, { timeoutMs });
  return r.stdout.trim() || `unknown (rc ${r.rc}, ${r.stderr.trim()})`;
}
