/**
 * `npm run lab:capture`: boots a fresh lab, walks an md RAID1 over iSCSI through its states and records
 * the real outputs of mdadm, iscsiadm, tgtadm, /proc/mdstat and the md/iSCSI sysfs trees in each one
 * into test/fixtures/lab/<state>/ (conventions: test/fixtures/README.md), with a README per folder that
 * says the tool versions and what was run. The unit tests of the parsers read these folders.
 * The new set replaces test/fixtures/lab/ only when every state was captured.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Lab, type GuestNode } from "./lib/lab.js";
import { say, secs } from "./lib/log.js";
import { GUEST_SCRIPTS, LAB_DIR, REPO_ROOT } from "./lib/paths.js";
import {
  createArray,
  exportDisk,
  login,
  mdState,
  memberPath,
  prepareInitiator,
  readdMember,
  sessionStates,
  targetIqn,
  portal,
  waitInSync,
  faultyMembers,
  waitSessionLoggedIn,
} from "./lib/storage.js";

const FIXTURES_LAB = join(REPO_ROOT, "test", "fixtures", "lab");
const WORK = join(LAB_DIR, "capture.partial");

interface StateRecord {
  readonly state: string;
  readonly summary: string;
  readonly how: string[];
  readonly folders: string[];
}
const records: StateRecord[] = [];

async function installCaptureTool(nodes: readonly GuestNode[]): Promise<void> {
  const script = readFileSync(join(GUEST_SCRIPTS, "lab-capture"), "utf8");
  for (const n of nodes) await n.writeFile("/usr/local/sbin/lab-capture", script, "0755");
}

/** Run the standard capture on `node` (plus any recorded commands already in its out dir) and unpack it. */
async function pull(node: GuestNode, role: "initiator" | "target", dest: string): Promise<void> {
  const out = `/tmp/capture-${role}`;
  await node.must(`lab-capture state ${out} ${role} >/dev/null`, { timeoutMs: 120_000 });
  const packed = await node.must(`lab-capture pack ${out}`, { timeoutMs: 60_000 });
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  execFileSync("tar", ["-xzf", "-", "-C", dest], { input: Buffer.from(packed.trim(), "base64") });
}

/** Record one command into node1's pending capture (lands in the state folder with the standard set). */
async function recordOn(node: GuestNode, name: string, argv: readonly string[]): Promise<void> {
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  await node.must(`lab-capture run /tmp/capture-initiator ${name} ${quoted}`, { timeoutMs: 120_000 });
}

async function capture(lab: Lab, state: string, summary: string, how: string[], targets: readonly string[]): Promise<void> {
  const t0 = Date.now();
  const dir = join(WORK, state);
  await pull(lab.node("node1"), "initiator", dir);
  const folders = ["(node1, the initiator)"];
  for (const t of targets) {
    await pull(lab.node(t), "target", join(dir, t));
    folders.push(`${t}/ (target side)`);
  }
  records.push({ state, summary, how, folders });
  say(`captured ${state} in ${secs(Date.now() - t0)} s`);
}

function commandsTable(dir: string): string {
  const rows: string[] = [];
  const walk = (d: string, prefix: string) => {
    const tsv = join(d, "commands.tsv");
    if (existsSync(tsv)) {
      for (const line of readFileSync(tsv, "utf8").split("\n").filter(Boolean)) {
        const [name, cmd] = line.split("\t");
        rows.push(`| \`${prefix}${name}\` | \`${cmd}\` |`);
      }
      rmSync(tsv);
    }
    for (const sub of readdirSync(d, { withFileTypes: true })) if (sub.isDirectory() && /^node\d$/.test(sub.name)) walk(join(d, sub.name), `${sub.name}/`);
  };
  walk(dir, "");
  return ["| file (name.txt/.stderr/.rc/.duration_s) | command |", "| --- | --- |", ...rows].join("\n");
}

function writeReadmes(versions: string): void {
  const date = new Date().toISOString().slice(0, 10);
  for (const r of records) {
    const dir = join(WORK, r.state);
    writeFileSync(
      join(dir, "README.md"),
      `# ${r.state}: ${r.summary}\n\nCaptured ${date} by \`npm run lab:capture\` (test/lab/capture.ts) in the pmsapp lab (test/lab/README.md):\n` +
        `3 Debian 12 VMs under qemu TCG, fast init, networks NFS 10.99.0.0/24, iSCSI 10.99.1.0/24, heartbeat 10.99.2.0/24.\n` +
        `Nothing here is hand-written except this README.\n\n## Tool versions (node1)\n\n${versions}\n\n## How this state was reached\n\n` +
        r.how.map((h) => `* ${h}`).join("\n") +
        `\n\n## Folders\n\n${r.folders.map((f) => `* ${f}`).join("\n")}\n\n## Files and the commands that produced them\n\n` +
        `Conventions: test/fixtures/README.md (\`.txt\` stdout, \`.stderr\` when non-empty or failed, \`.rc\` only when non-zero, ` +
        `\`.duration_s\` guest wall clock; \`sys/...\` copies of sysfs files listed in \`sys-files.txt\`; \`holders.txt\`/\`slaves.txt\` directory listings; ` +
        `\`block.readlink\`; \`sys/block/<disk>.realpath.txt\`).\n\n${commandsTable(dir)}\n`,
    );
  }
  writeFileSync(
    join(WORK, "README.md"),
    `# Lab captures (\`npm run lab:capture\`)\n\nReal outputs of mdadm, iscsiadm, tgtadm, /proc/mdstat and sysfs, recorded ${date} by test/lab/capture.ts in the\n` +
      `pmsapp lab. Each folder's README says how the state was reached and which command made each file.\n\n## Tool versions\n\n${versions}\n\n` +
      `## Common setup\n\n` +
      `* node1..3: tgtd, target tid 1 \`iqn.2026-11.lab.pmsapp:nodeN.disk\`, LUN 1 = \`/dev/disk/by-id/virtio-dataN\` (/dev/vdb, 256 MiB sparse file on the host), ` +
      `\`scsi_id=pmsapp-nodeN,scsi_sn=pmsappnodeN\`, bound to ALL.\n` +
      `* node1 (initiator, InitiatorName \`iqn.2026-11.lab.pmsapp:init.node1\`): iscsid.conf with replacement_timeout=5, noop_out 2/2, login_timeout=2, ` +
      `initial_login_retry_max=1; static records \`iscsiadm -m node -o new -T <iqn> -p 10.99.1.1N:3260\`; \`AUTO -all\` in mdadm.conf on every node.\n` +
      `* Member paths: \`/dev/disk/by-path/ip-10.99.1.1N:3260-iscsi-iqn.2026-11.lab.pmsapp:nodeN.disk-lun-1\` (sdX letters follow login order: see \`ls-l-dev-disk-by-path.txt\`).\n` +
      `* Array: \`mdadm --create /dev/md/pmsapp --run --level=1 --raid-devices=2 --metadata=1.2 --bitmap=internal --bitmap-chunk=1M --homehost=pmsapp --name=pmsapp <node1 LUN> <node2 LUN>\`.\n\n` +
      `| folder | state |\n| --- | --- |\n${records.map((r) => `| \`${r.state}/\` | ${r.summary} |`).join("\n")}\n`,
  );
}

async function versionsOf(node: GuestNode): Promise<string> {
  const out = await node.must(
    `echo "OS|$(. /etc/os-release; echo $PRETTY_NAME), debian_version $(cat /etc/debian_version)"
echo "kernel|$(uname -r) ($(uname -v))"
echo "mdadm --version|$(mdadm --version 2>&1)"
echo "iscsiadm --version|$(iscsiadm --version)"
for p in mdadm open-iscsi tgt nfs-kernel-server e2fsprogs; do echo "dpkg $p|$(dpkg-query -W -f '\${Version}' $p)"; done`,
  );
  return ["| item | value |", "| --- | --- |", ...out.trim().split("\n").map((l) => {
    const [k, v] = l.split("|");
    return `| ${k} | \`${v}\` |`;
  })].join("\n");
}

async function main(): Promise<void> {
  const t0 = Date.now();
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const lab = await Lab.up({ nodes: 3, client: false, mdAuto: "off", stage: false });
  try {
    const [node1, node2, node3] = [lab.node("node1"), lab.node("node2"), lab.node("node3")];
    await installCaptureTool(lab.nodes);
    const versions = await versionsOf(node1);
    await Promise.all(lab.nodes.map((n) => exportDisk(n)));
    await prepareInitiator(node1, [1, 2, 3]);
    const li = await login(node1, [1, 2, 3]);
    if (li.rc !== 0) throw new Error(`login failed: ${li.stderr}`);

    await node1.must("modprobe -a md_mod raid1 && echo 1000 > /proc/sys/dev/raid/speed_limit_max");
    const md = await createArray(node1, { level: 1, members: [1, 2], assumeClean: false });
    await node1.must("sleep 1");
    await capture(lab, "resyncing", "RAID1 node1+node2 LUNs, initial resync running (speed_limit_max lowered to 1000 so it is seen)", [
      "tgtd export on node1..3, node1 logs in to all three targets (static records)",
      "node1: `modprobe -a md_mod raid1; echo 1000 > /proc/sys/dev/raid/speed_limit_max`, then the create command of the common setup (without --assume-clean); capture 1 s later",
    ], ["node2"]);

    await node1.must("echo 200000 > /proc/sys/dev/raid/speed_limit_max");
    await waitInSync(lab, node1, md, 180_000);
    await capture(lab, "healthy", "RAID1 clean [UU], 3 sessions LOGGED_IN; node1..3 target side in node1/ node2/ node3/", [
      "from `resyncing`: speed_limit_max back to 200000; wait until sync_action=idle and degraded=0",
    ], ["node1", "node2", "node3"]);

    await node1.must(`setsid bash -c 'while :; do dd if=/dev/urandom of=${md} bs=64k count=16 seek=$((RANDOM % 200)) oflag=direct status=none; sleep 0.2; done' >/dev/null 2>&1 </dev/null & echo $! > /run/md-writer.pid`);
    await lab.kill("node2");
    const faulty = await lab.waitFor("node2 member faulty", async () => {
      const s = await mdState(node1, md);
      return faultyMembers(s).length > 0 && s["degraded"] === "1" ? s : false;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    await node1.must("kill $(cat /run/md-writer.pid); sleep 0.5");
    await capture(lab, "member-faulty", "node2 power-killed during writes: its member is (F) in the array, [2/1] [U_], session to node2 not logged in", [
      "from `healthy`: node1 writes 1 MiB every 0.2 s to the array with `dd oflag=direct`; node2's qemu gets SIGKILL (power cut)",
      `md marked the member faulty ${secs(faulty.ms)} s after the kill (polled every 0.25 s); writer stopped; capture`,
    ], ["node3"]);

    await node1.must(`mdadm ${md} --remove failed`);
    await capture(lab, "degraded", "the faulty member removed: RAID1 running degraded on one mirror, [2/1] [U_], bitmap tracks dirty chunks", [
      "from `member-faulty`: `mdadm /dev/md127 --remove failed`",
    ], ["node3"]);

    await lab.restart("node2");
    await installCaptureTool([node2]);
    await exportDisk(node2);
    await waitSessionLoggedIn(lab, node1, 2, 90_000);
    await node1.must("echo 1000 > /proc/sys/dev/raid/speed_limit_max");
    await readdMember(node1, md, 2);
    await node1.must("sleep 1");
    await capture(lab, "recovering", "node2 back, its member re-added: bitmap-based recovery running (speed_limit_max 1000 so it is seen)", [
      "from `degraded`: node2 restarted (same disks), tgtd export again; node1's iscsid reconnects the session by itself",
      `node1: \`echo 1000 > /proc/sys/dev/raid/speed_limit_max\`; \`mdadm /dev/md127 --remove failed; mdadm /dev/md127 --re-add ${memberPath(2)}\`; capture 1 s later`,
    ], ["node2"]);
    await node1.must("echo 200000 > /proc/sys/dev/raid/speed_limit_max");
    await waitInSync(lab, node1, md, 180_000);

    await lab.kill("node3");
    const gone = await lab.waitFor("session to node3 failed", async () => {
      const st = (await sessionStates(node1)).get(targetIqn(3));
      return st !== undefined && st !== "LOGGED_IN" ? st : false;
    }, { timeoutMs: 60_000 });
    await node1.must("sleep 6"); // past replacement_timeout=5
    await recordOn(node1, "iscsiadm-m-session-before-logout", ["iscsiadm", "-m", "session", "-P", "1"]);
    await recordOn(node1, "iscsiadm-m-node-logout", ["iscsiadm", "-m", "node", "-T", targetIqn(3), "-p", `${portal(3)}:3260`, "--logout"]);
    await recordOn(node1, "iscsiadm-m-node-login", ["iscsiadm", "-m", "node", "-T", targetIqn(3), "-p", `${portal(3)}:3260`, "--login"]);
    await capture(lab, "dead-target", "node3 (not in the array) power-killed: logout of its session, then a login to the dead target (rc, stderr, duration)", [
      "from `healthy` again (array in sync): node3's qemu gets SIGKILL",
      `node1's session to node3 was ${gone.value} ${secs(gone.ms)} s after the kill; 6 s more (past replacement_timeout=5)`,
      "`iscsiadm-m-session-before-logout`, then `--logout` and `--login` of node3's record (login_timeout=2, initial_login_retry_max=1), then the standard capture",
    ], []);

    await node1.must(`mdadm --stop ${md} && iscsiadm -m node --logoutall=all`);
    await capture(lab, "logged-out", "array stopped and every session logged out: no md, no sessions, members unassembled on the targets", [
      "from `dead-target`: `mdadm --stop /dev/md127; iscsiadm -m node --logoutall=all` on node1",
    ], ["node2"]);
    writeReadmes(versions);
  } catch (e) {
    await lab.collectLogs("capture-failed");
    throw e;
  } finally {
    await lab.down();
  }
  rmSync(FIXTURES_LAB, { recursive: true, force: true });
  renameSync(WORK, FIXTURES_LAB);
  say(`fixtures written to ${FIXTURES_LAB} (${records.length} states) in ${secs(Date.now() - t0)} s`);
}

main().catch((e: Error) => {
  process.stderr.write(`lab:capture failed: ${e.message}\n`);
  process.exit(1);
});
