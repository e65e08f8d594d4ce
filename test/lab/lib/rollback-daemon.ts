/**
 * pmsappd on one node of the rollback scenarios (fast init, no systemd): the installed /usr/sbin/pmsappd
 * with a local-only configuration (its Unix socket; no TCP listener, no peers), started detached the way
 * the SysV script does, and a `pmsapp events --follow --json` reader (daemon.ts's followEvents) whose
 * frames the scenario reads back. Test tooling: bash in the guest is fine here.
 */
import type { GuestNode, Lab } from "./lab.js";
import { followEvents, readFrames, type LabFrame } from "./daemon.js";

const CONF = "/etc/pmsapp/pmsappd.conf";
const TOKEN = "/etc/pmsapp/token";
const PIDFILE = "/run/pmsapp/pmsappd.pid";
export const EVENTS_FILE = "/var/tmp/rollback-events.log";

/** Config, token, `pmsappd --check`, start detached, wait until `pmsapp status` answers locally. */
export async function startLocalDaemon(lab: Lab, node: GuestNode): Promise<void> {
  await node.writeFile(TOKEN, "rollback-scenario-token\n", "0600");
  await node.writeFile(CONF, `# written by test/lab/rollback.lab.test.ts\nnode_name = ${node.name}\ntoken_file = ${TOKEN}\n`, "0640");
  await node.must(`/usr/sbin/pmsappd --check`, { timeoutMs: 30_000 });
  await node.must(
    `mkdir -p /run/pmsapp /var/log/pmsapp && chmod 0750 /run/pmsapp && { nohup setsid /usr/sbin/pmsappd </dev/null >>/var/log/pmsapp/pmsappd.log 2>&1 & echo $! > ${PIDFILE}; }`,
    { timeoutMs: 20_000 },
  );
  await lab.waitFor(`pmsappd answering on ${node.name}`, async () => (await node.sh(`pmsapp status --node ${node.name} >/dev/null 2>&1`, { timeoutMs: 30_000 })).rc === 0, {
    timeoutMs: 90_000,
    intervalMs: 2000,
  });
  await followEvents(node, "--json", EVENTS_FILE);
}


/** Agent frames streamed by the daemon after guest time `sinceMs`. */
export async function agentFrames(node: GuestNode, sinceMs: number): Promise<{ receivedMs: number; frame: LabFrame }[]> {
  return (await readFrames(node, EVENTS_FILE)).filter((f) => f.receivedMs >= sinceMs && f.frame.kind === "agent");
}

/** Every frame after guest time `sinceMs`. */
export async function framesSince(node: GuestNode, sinceMs: number): Promise<{ receivedMs: number; frame: LabFrame }[]> {
  return (await readFrames(node, EVENTS_FILE)).filter((f) => f.receivedMs >= sinceMs);
}
