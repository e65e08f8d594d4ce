/**
 * The storage recipes of the lab, written the way the install guide's nodes are set up by hand: each
 * node exports its data disk with tgtd; the active node logs in to every target with static node
 * records (over the iSCSI network), builds md RAID on the LUNs, mounts ext4 and exports it over NFS.
 * Used by the scenarios, the fixture capture and the demo. Every step returns what a test can assert on.
 */
import type { GuestNode, Lab } from "./lab.js";
import { say } from "./log.js";
import { bootFinished } from "./reboot.js";

export const MOUNTPOINT = "/srv/pmsapp";
export const CLIENT_MOUNT = "/mnt/pmsapp";
export const ARRAY = "/dev/md/pmsapp";

/** IQN of node N's target. */
export function targetIqn(n: number): string {
  return `iqn.2026-11.lab.pmsapp:node${n}.disk`;
}

export function nodeNumber(node: GuestNode): number {
  const m = /^node(\d)$/.exec(node.name);
  if (m === null) throw new Error(`${node.name} is not a storage node`);
  return Number(m[1]);
}

/** iSCSI portal of node N (on the iSCSI network). */
export function portal(n: number): string {
  return `10.99.1.${10 + n}`;
}

/** The stable path of node N's LUN on an initiator. */
export function memberPath(n: number): string {
  return `/dev/disk/by-path/ip-${portal(n)}:3260-iscsi-${targetIqn(n)}-lun-1`;
}

/** How long exportDisk lets a systemd boot run before it goes on regardless (bootFinished's bound). */
const BOOT_FINISHED_WITHIN_MS = 155_000;

/**
 * Start tgtd and export /dev/vdb as LUN 1 of target tid 1; returns seconds it took (guest clock).
 * Under systemd the boot is let finish first: Debian's tgt.service (enabled in the image) starts its own
 * tgtd during boot and its ExecStartPost sets tgtd's state offline, then ready. A target made while that
 * tgtd is still initialising fails, and while tgtd is offline it accepts TCP and closes it at once (tgt's
 * accept_connection), so a login then fails as "connection timed out" (the likely cause of one CI run's failure in
 * daemon.lab.test.ts, 2026-12-06). Every step is checked: a failed tgtadm fails the call, naming the step.
 */
export async function exportDisk(node: GuestNode): Promise<number> {
  const n = nodeNumber(node);
  if (node.vm.bootOptions?.init === "systemd") await bootFinished(node, BOOT_FINISHED_WITHIN_MS);
  const out = await node.must(
    `t0=$(date +%s.%N)
pidof tgtd >/dev/null || { setsid tgtd >/dev/null 2>&1 </dev/null & }
up=0
for i in $(seq 150); do tgtadm --lld iscsi --op show --mode sys >/dev/null 2>&1 && { up=1; break; }; sleep 0.1; done
[ "$up" = 1 ] || { echo "tgtd does not answer on its IPC socket after 15 s" >&2; exit 1; }
step() { "$@" || { echo "export failed at: $*" >&2; exit 1; }; }
step tgtadm --lld iscsi --op new --mode target --tid 1 -T ${targetIqn(n)}
step tgtadm --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b /dev/disk/by-id/virtio-data${n}
step tgtadm --lld iscsi --op update --mode logicalunit --tid 1 --lun 1 --params scsi_id=pmsapp-node${n},scsi_sn=pmsappnode${n}
step tgtadm --lld iscsi --op bind --mode target --tid 1 -I ALL
ready=0
for i in $(seq 150); do tgtadm --lld iscsi --op show --mode sys 2>/dev/null | grep -q '^ *State: ready' && { ready=1; break; }; sleep 0.1; done
[ "$ready" = 1 ] || { echo "tgtd's state is not ready after 15 s: $(tgtadm --lld iscsi --op show --mode sys 2>&1 | head -2 | tr '\\n' ' ')" >&2; exit 1; }
echo "$(date +%s.%N) - $t0" | bc`,
    { timeoutMs: 60_000 },
  );
  return Number(out.trim());
}

export async function showTargets(node: GuestNode): Promise<string> {
  return node.must("tgtadm --lld iscsi --op show --mode target");
}

/** iscsid plus one static node record per target (no discovery at failover time). */
export async function prepareInitiator(node: GuestNode, targets: readonly number[]): Promise<void> {
  await node.must(
    `pidof iscsid >/dev/null || iscsid
for i in $(seq 50); do iscsiadm -m session >/dev/null 2>&1; [ $? -ne 4 ] && break; sleep 0.1; done
${targets.map((n) => `iscsiadm -m node -o new -T ${targetIqn(n)} -p ${portal(n)}:3260 >/dev/null`).join("\n")}`,
    { timeoutMs: 30_000 },
  );
}

/**
 * Log in to the given targets' records; returns the iscsiadm result (rc 0 when all logged in).
 * The image's login_timeout is 2 s; a login that times out (iscsiadm rc 8) on a starved CI host is tried
 * once more, and that retry is said in the lab's log. Any other failure is returned as it is.
 */
export async function login(node: GuestNode, targets: readonly number[]) {
  const r = await node.sh(
    `rc=0
one() { iscsiadm -m node -T "$1" -p "$2:3260" --login; r=$?
  if [ $r -eq 8 ]; then echo "RETRY login to $1 timed out (iscsiadm rc 8); one more try" >&2; sleep 1; iscsiadm -m node -T "$1" -p "$2:3260" --login; r=$?; fi
  [ $r -eq 0 ] || rc=$r; }
${targets.map((n) => `one ${targetIqn(n)} ${portal(n)}`).join("\n")}
udevadm settle --timeout=10
exit $rc`,
    { timeoutMs: 60_000 },
  );
  for (const line of r.stderr.split("\n").filter((l) => l.startsWith("RETRY "))) say(`${node.name}: ${line.slice("RETRY ".length)}`);
  return r;
}

/** Target IQN -> iSCSI session state (LOGGED_IN, FAILED, FREE …) as iscsiadm -m session -P 1 shows it. */
export async function sessionStates(node: GuestNode): Promise<Map<string, string>> {
  const r = await node.sh("iscsiadm -m session -P 1", { timeoutMs: 20_000 });
  const states = new Map<string, string>();
  let target: string | undefined;
  for (const line of r.stdout.split("\n")) {
    const t = /^Target: (\S+)/.exec(line.trim());
    if (t !== null) target = t[1];
    const s = /iSCSI Session State: (\S+)/.exec(line);
    if (s !== null && target !== undefined && s[1] !== undefined) states.set(target, s[1]);
  }
  return states;
}

export interface RaidOptions {
  readonly level: 1 | 5;
  readonly members: readonly number[];
  readonly assumeClean: boolean;
}

/** mdadm --create with the project's choices (internal bitmap, 1 MiB bitmap chunk, neutral homehost). */
export async function createArray(node: GuestNode, o: RaidOptions): Promise<string> {
  const out = await node.must(
    `mdadm --create ${ARRAY} --run --level=${o.level} --raid-devices=${o.members.length} --metadata=1.2 \\
  --bitmap=internal --bitmap-chunk=1M --homehost=pmsapp --name=pmsapp ${o.assumeClean ? "--assume-clean" : ""} \\
  ${o.members.map(memberPath).join(" ")} 2>&1
udevadm settle --timeout=10
readlink -f ${ARRAY}`,
    { timeoutMs: 60_000 },
  );
  const dev = out.trim().split("\n").pop() ?? "";
  if (!/^\/dev\/md\d+$/.test(dev)) throw new Error(`${node.name}: array device not found after create: ${out}`);
  return dev;
}

/** /sys/block/mdN/md attributes of one array as a map (array_state, degraded, sync_action …). */
export async function mdState(node: GuestNode, md: string): Promise<Record<string, string>> {
  const name = md.replace("/dev/", "");
  const out = await node.must(
    `cd /sys/block/${name}/md && for f in array_state degraded sync_action sync_completed raid_disks mismatch_cnt bitmap/chunksize; do printf '%s=%s\\n' "$f" "$(cat $f 2>/dev/null)"; done
for d in dev-*; do [ -d "$d" ] && printf '%s=%s\\n' "$d" "$(cat $d/state)"; done
printf 'mdstat=%s\\n' "$(grep -A2 '^${name} ' /proc/mdstat | tr '\\n' ' ')"`,
    { timeoutMs: 15_000 },
  );
  const state: Record<string, string> = {};
  for (const line of out.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) state[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return state;
}

/** ext4 on the array, mounted, exported over NFS (fsid=1 so any node can serve it), VIP on eth0. */
export async function serveNfs(node: GuestNode, md: string, options: { mkfs: boolean; vip: boolean }): Promise<void> {
  await node.must(
    `${options.mkfs ? `mkfs.ext4 -q -F -L pmsapp ${md}` : ""}
mkdir -p ${MOUNTPOINT} && mount ${md} ${MOUNTPOINT}
echo '${MOUNTPOINT} 10.99.0.0/24(rw,sync,no_root_squash,no_subtree_check,fsid=1)' > /etc/exports
/etc/init.d/rpcbind start >/dev/null
/etc/init.d/nfs-kernel-server start >/dev/null
exportfs -ra
${options.vip ? "ip addr add 10.99.0.100/24 dev eth0 2>/dev/null; arping -c1 -U -I eth0 10.99.0.100 >/dev/null 2>&1 || true" : ""}
exportfs -v`,
    { timeoutMs: 90_000 },
  );
}

export async function mountOnClient(client: GuestNode, server = "10.99.0.100"): Promise<void> {
  await client.must(`mkdir -p ${CLIENT_MOUNT} && mount -t nfs -o vers=4.2,hard,timeo=50 ${server}:${MOUNTPOINT} ${CLIENT_MOUNT}`, { timeoutMs: 60_000 });
}

/** Write `mib` MiB of random data to a file on the client, fsync it, record its md5 in <file>.md5. */
export async function writeChecksummed(client: GuestNode, name: string, mib: number): Promise<{ md5: string; seconds: number }> {
  const out = await client.must(
    `cd ${CLIENT_MOUNT}
t0=$(date +%s.%N)
head -c ${mib}M /dev/urandom > ${name}.tmp
dd if=${name}.tmp of=${name} bs=1M conv=fsync status=none
rm -f ${name}.tmp
t1=$(date +%s.%N)
md5sum ${name} > ${name}.md5 && sync
cut -d' ' -f1 ${name}.md5
echo "$t1 - $t0" | bc`,
    { timeoutMs: 180_000 },
  );
  const [md5 = "", seconds = "0"] = out.trim().split("\n");
  return { md5, seconds: Number(seconds) };
}

/** md5sum -c of every recorded file; returns the lines that did not say OK (empty = all intact). */
export async function verifyChecksums(node: GuestNode, dir: string): Promise<{ checked: number; bad: string[] }> {
  const r = await node.sh(`cd ${dir} && sync && echo 3 > /proc/sys/vm/drop_caches; cat *.md5 | md5sum -c -`, { timeoutMs: 120_000 });
  const lines = r.stdout.trim().split("\n").filter(Boolean);
  return { checked: lines.length, bad: r.rc === 0 ? [] : [...lines.filter((l) => !l.endsWith(": OK")), r.stderr.trim()].filter(Boolean) };
}

/** Re-add the returning member (bitmap recovery) after removing the failed slot. */
export async function readdMember(node: GuestNode, md: string, n: number): Promise<string> {
  return node.must(`mdadm ${md} --remove failed 2>&1; mdadm ${md} --re-add ${memberPath(n)} 2>&1`, { timeoutMs: 30_000 });
}

/** Wait until md shows no resync/recovery and no degradation; on timeout, say what md showed last. */
export async function waitInSync(lab: Lab, node: GuestNode, md: string, timeoutMs: number) {
  return waitForMd(lab, node, md, `${md} on ${node.name} back in sync`, inSync, timeoutMs);
}

/** Poll md's sysfs state until `accept` takes it; a timeout says what md showed last. */
async function waitForMd(lab: Lab, node: GuestNode, md: string, what: string, accept: (s: Record<string, string>) => boolean, timeoutMs: number) {
  let last: Record<string, string> | undefined;
  try {
    return await lab.waitFor(
      what,
      async () => {
        const s = await mdState(node, md);
        last = s;
        return accept(s) ? s : false;
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; md last showed: ${describeMd(last)}`);
  }
}

/** Wait until `node`'s iSCSI session to node n's target is LOGGED_IN (again). */
export async function waitSessionLoggedIn(lab: Lab, node: GuestNode, n: number, timeoutMs: number, intervalMs = 500) {
  return lab.waitFor(
    `${node.name}'s session to node${n} to be LOGGED_IN again`,
    async () => (await sessionStates(node)).get(targetIqn(n)) === "LOGGED_IN",
    { timeoutMs, intervalMs },
  );
}

function inSync(s: Record<string, string>): boolean {
  return s["sync_action"] === "idle" && s["degraded"] === "0";
}

/** Members (sdX) whose md state says faulty, from an mdState() map. */
export function faultyMembers(s: Record<string, string>): string[] {
  return Object.entries(s)
    .filter(([k, v]) => k.startsWith("dev-") && v.includes("faulty"))
    .map(([k]) => k.slice("dev-".length));
}

function describeMd(s: Record<string, string> | undefined): string {
  if (s === undefined) return "nothing (no read of its sysfs succeeded)";
  return ["sync_action", "degraded", "sync_completed", "mdstat"].map((k) => `${k}=${s[k] ?? "?"}`).join(", ");
}

/** Kernel log lines stamped at or after `sinceS` seconds of uptime. */
async function kernelLinesSince(node: GuestNode, sinceS: number): Promise<string[]> {
  const out = await node.must("dmesg", { timeoutMs: 15_000 });
  return out.split("\n").filter((line) => {
    const m = /^\[\s*(\d+\.\d+)\]/.exec(line);
    return m !== null && Number(m[1]) >= sinceS;
  });
}

async function uptimeS(node: GuestNode): Promise<number> {
  return Number((await node.must("cut -d' ' -f1 /proc/uptime")).trim());
}

/**
 * Re-add member n through the bitmap and wait until md is in sync again.
 *
 * The lab's guests run iSCSI with a 2 s noop-out (image.ts). On the 2-core CI host, four TCG guests and a
 * recovery at full speed can starve a guest long enough to miss it: CI on 2026-12-06 saw node1's sessions
 * to node2 and node3 time out in the same second, ten seconds into the recovery, and md fail the
 * re-added member again. Only that case — the member faulty again and the initiator's kernel log naming a
 * session recovery timeout since the re-add — gets another re-add once the session is logged in again,
 * at most `maxSessionDrops` times, each said in the log and returned. Any other failure fails at once
 * with md's state and the kernel's lines.
 */
export async function readdUntilInSync(
  lab: Lab,
  node: GuestNode,
  md: string,
  n: number,
  timeoutMs: number,
  maxSessionDrops = 1,
): Promise<{ value: Record<string, string>; ms: number; sessionDrops: string[] }> {
  const t0 = Date.now();
  const left = () => Math.max(1_000, timeoutMs - (Date.now() - t0));
  const sessionDrops: string[] = [];
  for (;;) {
    const since = await uptimeS(node);
    const out = await readdMember(node, md, n);
    if (!out.includes("re-added")) throw new Error(`${node.name}: mdadm did not re-add ${memberPath(n)}: ${out.trim()}`);
    const ended = await waitForMd(
      lab,
      node,
      md,
      `${md} on ${node.name} back in sync after re-adding ${memberPath(n)}`,
      (s) => inSync(s) || faultyMembers(s).length > 0,
      left(),
    );
    if (inSync(ended.value)) return { value: ended.value, ms: Date.now() - t0, sessionDrops };
    const kernel = await kernelLinesSince(node, since);
    const dropped = kernel.filter((l) => /session recovery timed out|detected conn error|ping timeout/.test(l));
    const why = `the re-added member failed again (${faultyMembers(ended.value).join(", ")}); md: ${describeMd(ended.value)}; ${node.name}'s kernel since the re-add:\n  ${kernel.join("\n  ") || "(nothing)"}`;
    if (!kernel.some((l) => /session recovery timed out/.test(l)) || sessionDrops.length >= maxSessionDrops) {
      throw new Error(sessionDrops.length >= maxSessionDrops ? `${why}\n(after ${sessionDrops.length} earlier session drop(s), no more re-adds)` : why);
    }
    sessionDrops.push(dropped.join(" | "));
    say(`${node.name}: iSCSI session to node${n} dropped during the recovery, and md failed the member again; re-adding ${memberPath(n)} once the session is back:\n  ${dropped.join("\n  ")}`);
    await waitSessionLoggedIn(lab, node, n, left());
  }
}
