/**
 * pmsappd in the lab: the installed tree's daemon (/usr/sbin/pmsappd under its systemd unit) configured
 * on every node with a TCP listener on the management network and a shared bearer token, and
 * `pmsapp events` clients whose every line is stamped with the guest's clock when it arrives.
 * Test tooling (bash in the guests is fine here); the product itself runs no shell.
 */
import type { GuestNode } from "./lab.js";
import { median } from "./median.js";

export const DAEMON_PORT = 7480;
export const TOKEN_FILE = "/etc/pmsapp/token";
export const CONF_FILE = "/etc/pmsapp/pmsappd.conf";

/** The pmsappd.conf every lab node gets: its own name and listener, every node as a peer. */
export function daemonConfig(node: GuestNode, nodes: readonly GuestNode[], extra: readonly string[] = []): string {
  return [
    "# written by test/lab/daemon.lab.test.ts",
    `node_name = ${node.name}`,
    `tcp_listen = ${node.ip("nfs")}:${DAEMON_PORT}`,
    `token_file = ${TOKEN_FILE}`,
    `peers = ${nodes.map((n) => `${n.name}=ws://${n.ip("nfs")}:${DAEMON_PORT}`).join(" ")}`,
    ...extra,
    "",
  ].join("\n");
}

/** Write the config and the token (0600), (re)start pmsappd.service, wait until the daemon answers locally. */
export async function startDaemon(node: GuestNode, nodes: readonly GuestNode[], token: string): Promise<void> {
  await node.writeFile(TOKEN_FILE, `${token}\n`, "0600");
  await node.writeFile(CONF_FILE, daemonConfig(node, nodes), "0640");
  await node.must("/usr/sbin/pmsappd --check");
  // The staged tree is copied onto / after systemd read its units: make it see pmsappd.service.
  await node.must("systemctl daemon-reload && systemctl restart pmsappd.service && systemctl is-active pmsappd.service", { timeoutMs: 60_000 });
}

/**
 * For a node booted with the lab's fast init (no systemd): write config and token, then start the
 * installed /usr/sbin/pmsappd detached with its log in /var/log/pmsapp, as packaging/sysv/pmsappd.init
 * does (that script needs EL's /etc/rc.d/init.d/functions, which Debian guests do not have).
 */
export async function startDaemonLikeSysv(node: GuestNode, nodes: readonly GuestNode[], token: string): Promise<void> {
  await node.writeFile(TOKEN_FILE, `${token}\n`, "0600");
  await node.writeFile(CONF_FILE, daemonConfig(node, nodes), "0640");
  await node.must(
    "mkdir -p /run/pmsapp /var/log/pmsapp && chmod 0750 /run/pmsapp && { nohup setsid /usr/sbin/pmsappd </dev/null >>/var/log/pmsapp/pmsappd.log 2>&1 & echo $! > /run/pmsapp/pmsappd.pid; }",
    { timeoutMs: 20_000 },
  );
}

/** Whether `pmsapp status --node <self>` gets a full snapshot from the local daemon (Unix socket). */
export async function daemonAnswers(node: GuestNode): Promise<boolean> {
  return (await node.sh(`pmsapp status --node ${node.name} >/dev/null 2>&1`, { timeoutMs: 30_000 })).rc === 0;
}

/**
 * A detached `pmsapp events --follow <args>`: each stdout line is written to `file` as
 * `<guest ms when the line arrived> <line>` by a node reader on the same VM (one clock for the
 * receipt and for whatever the scenario timestamps on that VM). Stderr goes to `file`.err.
 */
export async function followEvents(node: GuestNode, args: string, file: string): Promise<void> {
  const stamp =
    'let b="";process.stdin.setEncoding("utf8");process.stdin.on("data",(d)=>{const t=Date.now();b+=d;let i;' +
    'while((i=b.indexOf("\\n"))>=0){process.stdout.write(t+" "+b.slice(0,i)+"\\n");b=b.slice(i+1);}});';
  await node.writeFile("/usr/local/bin/lab-stamp-lines.js", stamp);
  await node.must(
    `rm -f ${file} ${file}.err
{ setsid bash -c 'pmsapp events --follow ${args} 2>${file}.err | node /usr/local/bin/lab-stamp-lines.js >${file}' >/dev/null 2>&1 </dev/null & }`,
    { timeoutMs: 20_000 },
  );
}

export interface StampedLine {
  /** Guest clock (ms) when the line reached the reader. */
  readonly receivedMs: number;
  readonly text: string;
}

export async function readStamped(node: GuestNode, file: string): Promise<StampedLine[]> {
  const r = await node.sh(`cat ${file} 2>/dev/null`, { timeoutMs: 20_000 });
  const out: StampedLine[] = [];
  for (const line of r.stdout.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    out.push({ receivedMs: Number(line.slice(0, sp)), text: line.slice(sp + 1) });
  }
  return out;
}

/** A frame as `pmsapp events --json` prints it (only the fields the scenario reads). */
export interface LabFrame {
  readonly type: string;
  readonly node: string;
  readonly seq: number;
  readonly ts: string;
  readonly kind?: string;
  readonly id?: string;
  readonly state?: Record<string, unknown>;
  readonly old?: Record<string, unknown>;
}

export async function readFrames(node: GuestNode, file: string): Promise<{ receivedMs: number; frame: LabFrame }[]> {
  return (await readStamped(node, file)).flatMap((l) => {
    try {
      return [{ receivedMs: l.receivedMs, frame: JSON.parse(l.text) as LabFrame }];
    } catch {
      return [];
    }
  });
}

/** Median and max of a list of numbers. */
export function medianMax(values: readonly number[]): { median: number; max: number } {
  return { median: median(values) ?? NaN, max: Math.max(...values) };
}
