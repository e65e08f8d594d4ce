/**
 * The lab network: one namespace (NETNS) holding three bridges (the install guide's three networks),
 * one tap per VM and network, and every qemu process. The namespace holds .1 on each bridge, has no
 * uplink and no route out, so no packet of the lab can leave it.
 */
import { must, run, runSync } from "./host.js";
import { NETNS } from "./paths.js";

export type NetName = "nfs" | "iscsi" | "hb";

export interface LabNetwork {
  readonly name: NetName;
  readonly bridge: string;
  /** First three octets, e.g. "10.99.0". */
  readonly prefix: string;
  /** Guest interface (eth0 = nfs/management, eth1 = iscsi, eth2 = heartbeat). */
  readonly eth: string;
  readonly purpose: string;
}

export const NETWORKS: readonly LabNetwork[] = [
  { name: "nfs", bridge: "br-nfs", prefix: "10.99.0", eth: "eth0", purpose: "NFS and management (VIP 10.99.0.100)" },
  { name: "iscsi", bridge: "br-iscsi", prefix: "10.99.1", eth: "eth1", purpose: "iSCSI" },
  { name: "hb", bridge: "br-hb", prefix: "10.99.2", eth: "eth2", purpose: "heartbeat / cluster" },
];

export const VIP = "10.99.0.100";

export function network(name: NetName): LabNetwork {
  const n = NETWORKS.find((x) => x.name === name);
  if (n === undefined) throw new Error(`unknown lab network ${name}`);
  return n;
}

/** Address of a VM's host number on a network, e.g. (11, "iscsi") -> 10.99.1.11. */
export function address(host: number, net: NetName): string {
  return `${network(net).prefix}.${host}`;
}

/** Tap names stay under the kernel's 15-character limit: node1-iscsi, client-nfs. */
export function tapName(vm: string, net: NetName): string {
  const name = `${vm}-${net}`;
  if (name.length > 15) throw new Error(`tap name ${name} is longer than 15 characters`);
  return name;
}

const ip = (...args: string[]) => must(["ip", "-n", NETNS, ...args]);

export function namespaceExists(): boolean {
  const r = runSync(["ip", "netns", "list"]);
  return r.stdout.split("\n").some((l) => l.split(" ")[0] === NETNS);
}

export async function createNetwork(): Promise<void> {
  await must(["ip", "netns", "add", NETNS]);
  await ip("link", "set", "lo", "up");
  for (const n of NETWORKS) {
    await ip("link", "add", n.bridge, "type", "bridge");
    // No STP and no forwarding delay: a restarted VM's tap forwards at once.
    await ip("link", "set", n.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0");
    await ip("addr", "add", `${n.prefix}.1/24`, "dev", n.bridge);
    await ip("link", "set", n.bridge, "up");
  }
}

export async function createTap(vm: string, net: NetName): Promise<string> {
  const tap = tapName(vm, net);
  const exists = await run(["ip", "-n", NETNS, "link", "show", tap]);
  if (exists.rc !== 0) {
    await ip("tuntap", "add", "dev", tap, "mode", "tap");
    await ip("link", "set", tap, "master", network(net).bridge);
  }
  await ip("link", "set", tap, "up");
  return tap;
}

/** Cut one network of one VM: its tap goes down, the bridge drops every frame to and from it. */
export async function setTapUp(vm: string, net: NetName, up: boolean): Promise<void> {
  await ip("link", "set", tapName(vm, net), up ? "up" : "down");
}

/**
 * Limit the bandwidth towards a VM on one network (tbf on its tap). The host kernel of this machine
 * has no sch_netem, so added delay is done inside the guest (see Lab.slowLink).
 */
export async function limitTapRate(vm: string, net: NetName, rateKbit: number | undefined): Promise<void> {
  const tap = tapName(vm, net);
  if (rateKbit === undefined) {
    await run(["ip", "netns", "exec", NETNS, "tc", "qdisc", "del", "dev", tap, "root"]);
    return;
  }
  await must(["ip", "netns", "exec", NETNS, "tc", "qdisc", "replace", "dev", tap, "root", "tbf", "rate", `${rateKbit}kbit`, "burst", "32kbit", "latency", "400ms"]);
}

/** Deleting the namespace removes its bridges and taps with it. */
export function deleteNetworkSync(): boolean {
  if (!namespaceExists()) return false;
  const r = runSync(["ip", "netns", "del", NETNS]);
  if (r.rc !== 0) throw new Error(`ip netns del ${NETNS}: ${r.stderr.trim()}`);
  return true;
}
