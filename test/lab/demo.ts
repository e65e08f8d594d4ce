/**
 * `npm run lab`: the main job a new user runs. Builds or reuses the image, boots 3 nodes and an NFS
 * client, installs pmsapp (the staged tree), exports every node's disk over iSCSI, builds the RAID1 on
 * node1, serves NFS behind the VIP, lets the client write checksummed data, then power-kills a node and
 * shows what happens, and prints a timing table. Everything is torn down at the end (and on Ctrl-C).
 *
 * The story is a list of steps. Steps that need parts of pmsapp (the ocf:pmsapp:raid agent under
 * Pacemaker, pmsappd's event stream) run when the staged tree has them; otherwise the demo says which
 * part is missing and runs the same story by hand (tgtd, iscsiadm, mdadm, exportfs, a VIP).
 * Without qemu, /dev/net/tun or root it says exactly why and replays the captured outputs (REPLAY).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Lab, labPrerequisites, type GuestNode } from "./lib/lab.js";
import { say, secs } from "./lib/log.js";
import { startCluster, locateAll } from "./lib/pacemaker.js";
import { REPO_ROOT } from "./lib/paths.js";
import {
  ARRAY,
  CLIENT_MOUNT,
  MOUNTPOINT,
  createArray,
  exportDisk,
  login,
  mdState,
  mountOnClient,
  portal,
  prepareInitiator,
  readdMember,
  serveNfs,
  sessionStates,
  targetIqn,
  verifyChecksums,
  waitInSync,
  writeChecksummed,
} from "./lib/storage.js";

interface Row {
  readonly step: string;
  readonly seconds: string;
  readonly result: string;
}

const rows: Row[] = [];
const GROUP = ["raid", "fs", "export", "vip"] as const;

async function step<T>(title: string, fn: () => Promise<{ value: T; result: string }>): Promise<T> {
  say(`== ${title}`);
  const t0 = Date.now();
  const { value, result } = await fn();
  rows.push({ step: title, seconds: secs(Date.now() - t0), result });
  say(`   ${result} (${secs(Date.now() - t0)} s)`);
  return value;
}

function note(title: string, why: string): void {
  rows.push({ step: title, seconds: "-", result: `not run: ${why}` });
  say(`== ${title}: not run: ${why}`);
}

function printTable(mode: string): void {
  const w = Math.max(...rows.map((r) => r.step.length), 4);
  const lines = [`${mode} summary`, `${"step".padEnd(w)}  ${"s".padStart(6)}  result`, `${"-".repeat(w)}  ${"-".repeat(6)}  ------`];
  for (const r of rows) lines.push(`${r.step.padEnd(w)}  ${r.seconds.padStart(6)}  ${r.result}`);
  process.stdout.write(lines.join("\n") + "\n");
}

let eventLinesShown = 0;

/** Print what node2's `pmsapp events --follow` received since the last call. */
async function showEvents(node: GuestNode): Promise<void> {
  const r = await node.sh("cat /tmp/pmsapp-events.log 2>/dev/null", { timeoutMs: 20_000 }).catch(() => undefined);
  if (r === undefined) return;
  const lines = r.stdout.split("\n").filter(Boolean);
  for (const l of lines.slice(eventLinesShown)) process.stdout.write(`  events| ${l}\n`);
  eventLinesShown = lines.length;
}

async function has(node: GuestNode, path: string): Promise<boolean> {
  return (await node.exec(["test", "-e", path], { timeoutMs: 10_000 })).rc === 0;
}

async function live(): Promise<void> {
  const lab = await step("build or reuse the image, boot node1-3 + client", async () => {
    const l = await Lab.up({ client: true, mdAuto: "off" });
    return { value: l, result: `image ${l.image.key} (${secs(l.timings["image"] ?? 0)} s), all VMs ready in ${secs(l.timings["boot"] ?? 0)} s` };
  });
  try {
    const [node1, node2] = [lab.node("node1"), lab.node("node2")];
    const client = lab.client;
    await step("pmsapp installed in the guests", async () => {
      const files = await node1.must("find /usr/lib/pmsapp /usr/lib/ocf/resource.d/pmsapp /usr/libexec/pmsapp /usr/bin/pmsapp /usr/sbin/pmsappd -maxdepth 1 -type f 2>/dev/null | sort");
      const count = files.trim().split("\n").filter(Boolean).length;
      const how = lab.stage?.how === "stage-command" ? "the staged tree" : "a PARTIAL tree (stage command refused, see above)";
      return { value: undefined, result: `${how}: ${count} pmsapp files in /usr/lib/pmsapp, /usr/lib/ocf, /usr/libexec, /usr/bin, /usr/sbin` };
    });
    const agent = await has(node1, "/usr/lib/ocf/resource.d/pmsapp/raid");

    await step("each node exports its disk over iSCSI (tgtd)", async () => {
      const took = await Promise.all(lab.nodes.map((n) => exportDisk(n)));
      return { value: undefined, result: `3 targets, slowest ${Math.max(...took).toFixed(1)} s` };
    });
    for (const n of lab.nodes) await prepareInitiator(n, [1, 2, 3]);

    // With the agent, the mirrors live on node2 and node3 and the service prefers node1: killing the
    // active node then loses no member. (Killing an active node that also holds a member leaves the
    // survivors unable to prove they are the freshest copy, and the agent refuses to start them.)
    const members = agent ? [2, 3] : [1, 2];
    const md = await step(`node1: login to the 3 targets, RAID1 (node${members[0]}+node${members[1]} LUNs), 1 MiB bitmap, ext4`, async () => {
      const r = await login(node1, [1, 2, 3]);
      if (r.rc !== 0) throw new Error(`login: ${r.stderr}`);
      const dev = await createArray(node1, { level: 1, members, assumeClean: true });
      await node1.must(`mkfs.ext4 -q -F -L pmsapp ${dev}`);
      const s = await mdState(node1, dev);
      return { value: dev, result: `${dev} ${s["mdstat"]?.match(/\[[U_]+\]/)?.[0] ?? ""}, bitmap chunk ${Number(s["bitmap/chunksize"]) / 1024} KiB` };
    });

    let active = "node1";
    if (agent) {
      const uuid = (await node1.must(`mdadm --detail --export ${md} | sed -n 's/^MD_UUID=//p'`)).trim();
      await node1.must(`mdadm --stop ${md} && iscsiadm -m node --logoutall=all`);
      // nfsd on every node with no export yet (Debian's init script refuses to start without one);
      // ocf:heartbeat:exportfs adds the export where the group runs.
      for (const n of lab.nodes) {
        await n.must(
          "/etc/init.d/rpcbind start >/dev/null; : > /etc/exports; mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd; rpc.nfsd 8 && { pidof rpc.mountd >/dev/null || setsid rpc.mountd >/dev/null 2>&1 </dev/null; }",
          { timeoutMs: 60_000 },
        );
      }
      await step("Pacemaker: corosync + pacemaker on 3 nodes", async () => {
        const ms = await startCluster(lab);
        return { value: undefined, result: `3 nodes online after ${secs(ms)} s` };
      });
      await step("Pacemaker: group raid (ocf:pmsapp:raid) + Filesystem + exportfs + IPaddr2", async () => {
        const targets = members.map((m) => `${targetIqn(m)}@${portal(m)}`).join(" ");
        // Created stopped, so it starts once, on node1, after the location preference exists.
        const xml = `<group id="pmsapp"><meta_attributes id="pmsapp-meta"><nvpair id="pmsapp-role" name="target-role" value="Stopped"/></meta_attributes>
<primitive id="raid" class="ocf" provider="pmsapp" type="raid"><instance_attributes id="raid-ia"><nvpair id="raid-md" name="md_device" value="${ARRAY}"/><nvpair id="raid-uuid" name="uuid" value="${uuid}"/><nvpair id="raid-targets" name="targets" value="${targets}"/></instance_attributes><operations><op id="raid-mon" name="monitor" interval="10s" timeout="60s"/><op id="raid-start" name="start" interval="0" timeout="120s"/><op id="raid-stop" name="stop" interval="0" timeout="120s"/></operations></primitive>
<primitive id="fs" class="ocf" provider="heartbeat" type="Filesystem"><instance_attributes id="fs-ia"><nvpair id="fs-dev" name="device" value="${ARRAY}"/><nvpair id="fs-dir" name="directory" value="${MOUNTPOINT}"/><nvpair id="fs-type" name="fstype" value="ext4"/></instance_attributes><operations><op id="fs-mon" name="monitor" interval="20s" timeout="40s"/></operations></primitive>
<primitive id="export" class="ocf" provider="heartbeat" type="exportfs"><instance_attributes id="ex-ia"><nvpair id="ex-c" name="clientspec" value="10.99.0.0/24"/><nvpair id="ex-d" name="directory" value="${MOUNTPOINT}"/><nvpair id="ex-f" name="fsid" value="1"/><nvpair id="ex-o" name="options" value="rw,sync,no_root_squash,no_subtree_check"/></instance_attributes><operations><op id="ex-mon" name="monitor" interval="20s" timeout="40s"/></operations></primitive>
<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"><instance_attributes id="vip-ia"><nvpair id="vip-ip" name="ip" value="10.99.0.100"/><nvpair id="vip-nm" name="cidr_netmask" value="24"/><nvpair id="vip-nic" name="nic" value="eth0"/></instance_attributes><operations><op id="vip-mon" name="monitor" interval="5s" timeout="20s"/></operations></primitive>
</group>`;
        await node1.must(
          `mkdir -p ${MOUNTPOINT}
crm_attribute --type rsc_defaults --name resource-stickiness --update 200
cibadmin -C -o resources -X '${xml.replace(/\n/g, "")}'
cibadmin -C -o constraints -X '<rsc_location id="pmsapp-prefers-node1" rsc="pmsapp" node="node1" score="100"/>'
crm_resource --resource pmsapp --meta --set-parameter target-role --parameter-value Started`,
          { timeoutMs: 60_000 },
        );
        const where = await lab.waitFor("raid, fs, export and vip started on one node", async () => locateAll(node1, GROUP), { timeoutMs: 300_000, intervalMs: 2000 });
        active = where.value;
        return { value: undefined, result: `group started on ${active}` };
      });
    } else {
      note("Pacemaker: group raid (ocf:pmsapp:raid) + Filesystem + exportfs + IPaddr2", "ocf:pmsapp:raid is not in the staged tree yet (packaging/shims/ocf-raid.sh + dist/raid.cjs)");
      await step("node1 serves NFS by hand: mount, exportfs (fsid=1), VIP 10.99.0.100", async () => {
        await serveNfs(node1, md, { mkfs: false, vip: true });
        return { value: undefined, result: `${MOUNTPOINT} exported, VIP on node1` };
      });
    }

    await step("client mounts NFS v4.2 through the VIP, writes 16 MiB with checksum", async () => {
      await mountOnClient(client);
      const w = await writeChecksummed(client, "demo-before.bin", 16);
      return { value: undefined, result: `md5 ${w.md5.slice(0, 12)}…, write+fsync ${w.seconds.toFixed(1)} s` };
    });

    const watcher = node2;
    if (await has(node1, "/usr/sbin/pmsappd")) {
      await step("pmsappd on every node; the event stream of node2 followed live", async () => {
        const started: string[] = [];
        for (const n of lab.nodes) {
          await n.sh("mkdir -p /var/log/pmsapp; pidof -x pmsappd >/dev/null || { setsid /usr/sbin/pmsappd >/var/log/pmsapp/pmsappd.log 2>&1 </dev/null & }", { timeoutMs: 20_000 });
          const up = await lab
            .waitFor(`pmsappd on ${n.name}`, async () => (await n.sh("pmsapp status --node $(hostname) >/dev/null 2>&1")).rc === 0, { timeoutMs: 60_000, intervalMs: 2000 })
            .then(() => true)
            .catch(() => false);
          if (up) started.push(n.name);
        }
        await watcher.sh("{ setsid pmsapp events --follow >/tmp/pmsapp-events.log 2>&1 </dev/null & }", { timeoutMs: 20_000 });
        return { value: undefined, result: `answering on ${started.join(", ") || "no node"} (logs in /var/log/pmsapp/pmsappd.log)` };
      });
    } else {
      note("pmsappd event stream", "pmsappd is not in the staged tree yet");
    }

    if (await has(node1, "/usr/bin/pmsapp")) {
      await step("pmsapp status on node1", async () => {
        const r = await node1.sh("pmsapp status 2>&1 | head -n 30", { timeoutMs: 60_000 });
        process.stdout.write(r.stdout);
        return { value: undefined, result: `exit ${r.rc}` };
      });
    } else {
      note("pmsapp status / live event stream (pmsappd)", "the pmsapp CLI and pmsappd are not in the staged tree yet");
    }

    if (agent) {
      const victim = lab.node(active);
      await step(`power-kill the active node (${active}): failover`, async () => {
        const killedAt = await lab.kill(active);
        const survivor = lab.nodes.find((n) => n.name !== active && n.running) as GuestNode;
        const moved = await lab.waitFor("the group started on a survivor", async () => {
          const where = await locateAll(survivor, GROUP);
          return where !== false && where !== active ? where : false;
        }, { timeoutMs: 300_000, intervalMs: 1000 });
        const w = await writeChecksummed(client, "demo-after-failover.bin", 4);
        active = moved.value;
        await showEvents(watcher);
        return { value: undefined, result: `group on ${moved.value} ${secs(Date.now() - killedAt)} s after the kill; client write ok (${w.seconds.toFixed(1)} s)` };
      });
      await step(`${victim.name} comes back and rejoins the cluster (the service stays where it is)`, async () => {
        const ms = await lab.restart(victim.name);
        await exportDisk(victim);
        await prepareInitiator(victim, [1, 2, 3]);
        await victim.must("/etc/init.d/rpcbind start >/dev/null; mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd; rpc.nfsd 8 && { pidof rpc.mountd >/dev/null || setsid rpc.mountd >/dev/null 2>&1 </dev/null; }", { timeoutMs: 60_000 });
        await victim.must("/etc/init.d/corosync start >/dev/null && /etc/init.d/pacemaker start >/dev/null", { timeoutMs: 120_000 });
        const online = await lab.waitFor(`${victim.name} online in Pacemaker`, async () => {
          const r = await lab.node(active).sh("crm_mon -1 2>/dev/null | grep -E 'Online:'", { timeoutMs: 20_000 });
          return r.stdout.includes(victim.name) ? true : false;
        }, { timeoutMs: 240_000, intervalMs: 2000 });
        return { value: undefined, result: `ready in ${secs(ms)} s, online in the cluster ${secs(online.ms)} s later; group still on ${active}` };
      });
      const activeNode = lab.node(active);
      const member = lab.node(`node${members.find((m) => `node${m}` !== active) ?? members[0]}`);
      const mdDev = (await activeNode.must(`readlink -f ${ARRAY}`)).trim();
      await step(`power-kill ${member.name} (a mirror, not the active node): md on ${active} fails it, NFS goes on`, async () => {
        await lab.kill(member.name);
        const f = await lab.waitFor("member faulty", async () => {
          const s = await mdState(activeNode, mdDev);
          return Object.entries(s).some(([k, v]) => k.startsWith("dev-") && v.includes("faulty")) && s["degraded"] === "1" ? s : false;
        }, { timeoutMs: 90_000, intervalMs: 500 });
        const w = await writeChecksummed(client, "demo-degraded.bin", 4);
        await showEvents(watcher);
        return { value: undefined, result: `member faulty after ${secs(f.ms)} s; client write while degraded ok (${w.seconds.toFixed(1)} s)` };
      });
      await step(`${member.name} returns: its mirror back in the array`, async () => {
        const ms = await lab.restart(member.name);
        await exportDisk(member);
        const n = Number(member.name.slice(4));
        await lab.waitFor("session back", async () => (await sessionStates(activeNode)).get(targetIqn(n)) === "LOGGED_IN", { timeoutMs: 120_000 });
        let how = "re-added by the agent";
        const byAgent = await lab
          .waitFor("the agent to re-add the member", async () => {
            const s = await mdState(activeNode, mdDev);
            return Object.entries(s).some(([k, v]) => k.startsWith("dev-") && !v.includes("faulty")) && Object.keys(s).filter((k) => k.startsWith("dev-")).length === 2 && !Object.values(s).some((v) => v.includes("faulty")) ? s : false;
          }, { timeoutMs: 90_000, intervalMs: 2000 })
          .catch(() => undefined);
        if (byAgent === undefined) {
          how = "NOT re-added by the agent within 90 s: re-added by hand (mdadm --re-add)";
          await readdMember(activeNode, mdDev, n);
        }
        const s = await waitInSync(lab, activeNode, mdDev, 180_000);
        await showEvents(watcher);
        return { value: undefined, result: `restart ${secs(ms)} s; ${how}; in sync ${s.value["mdstat"]?.match(/\[[U_]+\]/)?.[0] ?? ""}` };
      });
    } else {
      const activeNode = node1;
      await step("power-kill node2 (a member): md fails it, NFS goes on", async () => {
        await lab.kill("node2");
        const f = await lab.waitFor("member faulty", async () => {
          const s = await mdState(activeNode, md);
          return Object.entries(s).some(([k, v]) => k.startsWith("dev-") && v.includes("faulty")) ? s : false;
        }, { timeoutMs: 60_000, intervalMs: 250 });
        const w = await writeChecksummed(client, "demo-degraded.bin", 8);
        return { value: undefined, result: `member faulty after ${secs(f.ms)} s, ${f.value["mdstat"]?.match(/\[[U_]+\]/)?.[0] ?? ""}; client write while degraded ok (${w.seconds.toFixed(1)} s)` };
      });
      await step("node2 returns: export, session back, --re-add, bitmap recovery", async () => {
        const ms = await lab.restart("node2");
        await exportDisk(node2);
        await lab.waitFor("session back", async () => (await sessionStates(activeNode)).get(targetIqn(2)) === "LOGGED_IN", { timeoutMs: 90_000 });
        await readdMember(activeNode, md, 2);
        const s = await waitInSync(lab, activeNode, md, 120_000);
        return { value: undefined, result: `restart ${secs(ms)} s, in sync again ${s.value["mdstat"]?.match(/\[[U_]+\]/)?.[0] ?? ""} (recovery ${secs(s.ms)} s)` };
      });
    }

    await step("client: every checksum intact", async () => {
      const v = await verifyChecksums(client, CLIENT_MOUNT);
      if (v.bad.length > 0) throw new Error(`checksum mismatch: ${v.bad.join("; ")}`);
      return { value: undefined, result: `${v.checked} files OK` };
    });
  } catch (e) {
    await lab.collectLogs("demo-failed");
    throw e;
  } finally {
    await lab.down();
    printTable("LIVE");
  }
}

/** No VMs possible here: tell the story from the captured outputs, clearly labelled. */
function replay(why: string[]): void {
  process.stdout.write(`The lab cannot run on this machine:\n${why.map((w) => `  - ${w}`).join("\n")}\n` + "REPLAY of real outputs captured by `npm run lab:capture` (test/fixtures/lab/), not a live run.\n\n");
  const base = join(REPO_ROOT, "test", "fixtures", "lab");
  const order = ["healthy", "member-faulty", "degraded", "recovering", "dead-target", "logged-out"];
  for (const state of order.filter((s) => existsSync(join(base, s)))) {
    const dir = join(base, state);
    const title = readFileSync(join(dir, "README.md"), "utf8").split("\n")[0]?.replace(/^# /, "") ?? state;
    process.stdout.write(`REPLAY ── ${title}\n`);
    const mdstat = readFileSync(join(dir, "proc-mdstat.txt"), "utf8").trim();
    process.stdout.write(mdstat.split("\n").map((l) => `REPLAY   ${l}`).join("\n") + "\n");
    const session = join(dir, "iscsiadm-m-session.txt");
    if (existsSync(session)) process.stdout.write(readFileSync(session, "utf8").trim().split("\n").filter(Boolean).map((l) => `REPLAY   ${l}`).join("\n") + "\n");
    for (const f of readdirSync(dir).filter((f) => f.endsWith("-login.rc"))) {
      const name = f.replace(/\.rc$/, "");
      const d = readFileSync(join(dir, `${name}.duration_s`), "utf8").trim();
      const err = existsSync(join(dir, `${name}.stderr`)) ? readFileSync(join(dir, `${name}.stderr`), "utf8").trim().split("\n").pop() : "";
      process.stdout.write(`REPLAY   login to the dead target: rc ${readFileSync(join(dir, f), "utf8").trim()} after ${d} s: ${err}\n`);
    }
    process.stdout.write("\n");
  }
}

const missing = process.argv.includes("--replay") ? ["--replay was asked for"] : labPrerequisites();
if (missing.length > 0) {
  replay(missing);
} else {
  live().catch((e: Error) => {
    process.stderr.write(`lab demo failed: ${e.message}\n`);
    process.exitCode = 1;
  });
}
