/**
 * Corosync + Pacemaker on the lab nodes (lab-facts §11): knet over the heartbeat network, no crypto,
 * token 3000 ms, votequorum; started with Debian's init scripts (fast init) or systemctl (systemd).
 * No fencing in the lab (stonith disabled): there is no fence channel from the guests to the host.
 */
import type { GuestNode, Lab } from "./lab.js";

export function corosyncConf(nodes: readonly GuestNode[]): string {
  return `totem {
  version: 2
  cluster_name: pmsapp
  transport: knet
  crypto_cipher: none
  crypto_hash: none
  token: 3000
}
nodelist {
${nodes.map((n, i) => `  node {\n    name: ${n.name}\n    nodeid: ${i + 1}\n    ring0_addr: ${n.ip("hb")}\n  }`).join("\n")}
}
quorum {
  provider: corosync_votequorum
}
logging {
  to_logfile: yes
  logfile: /var/log/corosync/corosync.log
  to_syslog: no
  timestamp: on
}
`;
}

/** Write corosync.conf everywhere, start corosync and pacemaker, wait until every node is online. */
export async function startCluster(lab: Lab, init: "fast" | "systemd" = "fast"): Promise<number> {
  const t0 = Date.now();
  const conf = corosyncConf(lab.nodes);
  await Promise.all(
    lab.nodes.map(async (n) => {
      await n.writeFile("/etc/corosync/corosync.conf", conf);
      await n.must(
        init === "fast"
          ? "mkdir -p /var/log/corosync /var/log/pacemaker; /etc/init.d/corosync start >/dev/null && /etc/init.d/pacemaker start >/dev/null"
          : "systemctl start corosync pacemaker",
        { timeoutMs: 120_000 },
      );
    }),
  );
  const names = lab.nodes.map((n) => n.name);
  await lab.waitFor(
    "all nodes online in Pacemaker",
    async () => {
      const r = await lab.node("node1").sh("crm_mon -1 2>/dev/null | grep -E '^ *\\* Online:|^Online:'", { timeoutMs: 20_000 });
      return names.every((n) => r.stdout.includes(n)) ? r.stdout : false;
    },
    { timeoutMs: 180_000, intervalMs: 2000 },
  );
  // Under TCG the shell resource agents (IPaddr2, Filesystem, exportfs) need far more than the default
  // 20 s per operation; a timed-out stop blocks the group for good (no fencing here).
  await lab
    .node("node1")
    .must(
      "crm_attribute --type crm_config --name stonith-enabled --update false && crm_attribute --type crm_config --name no-quorum-policy --update stop && crm_attribute --type op_defaults --name timeout --update 120s",
      { timeoutMs: 60_000 },
    );
  return Date.now() - t0;
}

/** The node where every one of `resources` is started, or false while they are not all on one node. */
export async function locateAll(node: GuestNode, resources: readonly string[]): Promise<string | false> {
  const where = await Promise.all(resources.map((r) => locate(node, r)));
  const first = where[0];
  return first !== undefined && where.every((w) => w === first) ? first : false;
}

/** Where Pacemaker runs a resource now (crm_resource --locate), or undefined. */
export async function locate(node: GuestNode, resource: string): Promise<string | undefined> {
  const r = await node.sh(`crm_resource --resource ${resource} --locate 2>/dev/null`, { timeoutMs: 20_000 });
  const m = /is running on: (\S+)/.exec(r.stdout);
  return m?.[1];
}
